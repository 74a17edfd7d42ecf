/**
 * docker-compose.yml is for users with Docker (nothing here runs it): it must parse, name the stack
 * the README describes, point its services at each other consistently, mount only files that exist
 * under deploy/, and its Grafana dashboard must query only metrics the gateway registers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { RUN_STATUSES } from '../../src/domain/runs.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, unknown>;
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  ports?: string[];
}

const GATEWAYS = ['gateway-a', 'gateway-b'];

/** Java-style properties: `key=value` lines, `#` comments. */
function properties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const i = t.indexOf('=');
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

/** Bind mounts from the repository: `./source:target[:mode]` (or the long form), as [source, target]. */
function repoMounts(s: Service): [string, string][] {
  const out: [string, string][] = [];
  for (const v of s.volumes ?? []) {
    const [source, target] = typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target ?? ''];
    if (source!.startsWith('./') || source!.startsWith('../')) out.push([source!, target!]);
  }
  return out;
}

/** Every metric `new Counter|Gauge|Histogram|Summary({ name, labelNames })` in src/, with the series names and labels it exports. */
function registeredMetrics(): Map<string, { metric: string; labels: Set<string> }> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(root, 'src'));
  const series = new Map<string, { metric: string; labels: Set<string> }>();
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram|Summary)\(\{([\s\S]*?)\}\)/g)) {
      const name = /name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/.exec(m[2]!)?.[1];
      if (!name) continue;
      const labelList = /labelNames:\s*\[([^\]]*)\]/.exec(m[2]!)?.[1] ?? '';
      const labels = new Set([...labelList.matchAll(/'([^']+)'/g)].map((l) => l[1]!));
      const names =
        m[1] === 'Histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : m[1] === 'Summary' ? [name, `${name}_sum`, `${name}_count`] : [name];
      if (m[1] === 'Histogram') labels.add('le');
      if (m[1] === 'Summary') labels.add('quantile');
      for (const n of names) series.set(n, { metric: name, labels });
    }
  }
  return series;
}

const PROMQL_FUNCTIONS = new Set(['sum', 'avg', 'min', 'max', 'count', 'rate', 'irate', 'increase', 'histogram_quantile', 'topk', 'bottomk', 'clamp_min', 'clamp_max', 'abs', 'sort', 'sort_desc']);
const PROMQL_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset']);

/** The metric names, label names (selectors and by/without lists), label matchers and functions of one PromQL expression. */
function promql(expr: string) {
  const matchers: { label: string; value: string }[] = [];
  const labels: string[] = [];
  let rest = expr.replace(/\{([^}]*)\}/g, (_, body: string) => {
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
      labels.push(m[1]!);
      if (m[2] === '=') matchers.push({ label: m[1]!, value: m[3]! });
    }
    return ' ';
  });
  rest = rest.replace(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g, (_, __, list: string) => {
    labels.push(...list.split(',').map((l) => l.trim()).filter(Boolean));
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ').replace(/"[^"]*"/g, ' ');
  const functions: string[] = [];
  const metrics: string[] = [];
  for (const m of rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = rest.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(')) functions.push(m[0]);
    else if (!PROMQL_KEYWORDS.has(m[0])) metrics.push(m[0]);
  }
  return { metrics, labels, matchers, functions };
}

interface Target {
  refId: string;
  datasource?: { type?: string; uid?: string };
  expr?: string;
  rawSql?: string;
}
interface Panel {
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}

describe('docker-compose.yml', () => {
  const text = read('docker-compose.yml');
  const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
  const services = compose.services;

  it('runs PostgreSQL, an S3 server with its bucket, Nessie, Trino, two gateways behind a load balancer, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['gateway-a', 'gateway-b', 'grafana', 'lb', 'nessie', 'postgres', 'prometheus', 's3', 's3-bucket', 'trino'].sort(),
    );
    expect(services.s3!.image).toMatch(/^versity\/versitygw:/); // Apache-2.0, not MinIO (AGPL)
    expect(text).not.toMatch(/minio/i);
    expect(services.trino!.image).toBe('trinodb/trino:476');
    expect(services.lb!.image).toMatch(/^nginx:/);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:/);
    expect(services.grafana!.image).toMatch(/^grafana\/grafana:/);
    expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    for (const g of GATEWAYS) expect(services[g]!.build, g).toBe('.');
    // The published ports the README lists.
    const published = (s: string) => (services[s]!.ports ?? []).map((p) => p.split(':')[0]);
    expect(published('lb')).toEqual(['4000']);
    expect(published('trino')).toEqual(['8080']);
    expect(published('grafana')).toEqual(['3000']);
    expect(published('prometheus')).toEqual(['9090']);
    expect(published('nessie')).toEqual(['19120']);
  });

  it('gives both gateways and Nessie the same bucket, endpoint and keys, PostgreSQL and Nessie, and a dependency on what they use', () => {
    const nessie = services.nessie!.environment!;
    const bucket = /^s3:\/\/([^/]+)\//.exec(nessie['nessie.catalog.warehouses.lakehouse.location']!)![1];
    expect(nessie['nessie.version.store.type']).toBe('JDBC2');
    expect(nessie['quarkus.datasource.postgresql.jdbc.url']).toMatch(/^jdbc:postgresql:\/\/postgres:5432\//);
    for (const g of GATEWAYS) {
      const env = services[g]!.environment!;
      expect(env.NESSIE_URI, g).toBe('http://nessie:19120/api/v2');
      expect(env.WAREHOUSE, g).toBe(nessie['nessie.catalog.warehouses.lakehouse.location']);
      expect(env.WAREHOUSE, g).toMatch(new RegExp(`^s3://${bucket}/`));
      expect(env.DATABASE_URL, g).toMatch(/^postgres:\/\/cascade:cascade@postgres:5432\/cascade$/);
      expect(env.AWS_ENDPOINT_URL_S3, g).toBe(nessie['nessie.catalog.service.s3.default-options.endpoint']);
      expect(env.AWS_ACCESS_KEY_ID, g).toBe(nessie['lakehouse.s3.name']);
      expect(env.AWS_SECRET_ACCESS_KEY, g).toBe(nessie['lakehouse.s3.secret']);
      expect(env.AWS_ACCESS_KEY_ID, g).toBe(services.s3!.environment!.ROOT_ACCESS_KEY);
      expect(env.AWS_SECRET_ACCESS_KEY, g).toBe(services.s3!.environment!.ROOT_SECRET_KEY);
      expect(env.S3_PATH_STYLE, g).toBe('1');
    }
    expect(services['gateway-a']!.environment).toEqual(services['gateway-b']!.environment);
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(services[d], `${name} depends on ${d}`).toBeDefined();
    }
    for (const g of GATEWAYS) {
      const deps = Object.keys(services[g]!.depends_on as Record<string, unknown>);
      expect(deps.sort(), g).toEqual(['nessie', 'postgres', 's3-bucket', 'trino']);
    }
  });

  it("sets only variables the gateway reads, as a configuration it accepts, with Trino's", () => {
    const configSource = read('src/config.ts');
    for (const g of GATEWAYS) {
      const env = services[g]!.environment!;
      for (const name of Object.keys(env)) expect(configSource, `${g}: ${name}`).toMatch(new RegExp(`\\b${name}:`));
      expect(env.TRINO_URL, g).toBe('http://trino:8080');
      expect(env.TRINO_USER, g).toBe('cascade');
      expect(env.TRINO_CATALOG, g).toBe('iceberg');
      expect(env.SQL_ENGINE, g).toBe('DUCKDB');
      expect(() => loadConfig(env), g).not.toThrow();
    }
  });

  it('mounts only files of this repository that exist, where each image reads them', () => {
    const mounts = Object.entries(services).flatMap(([name, s]) => repoMounts(s).map(([source, target]) => ({ name, source, target })));
    expect(mounts.length).toBeGreaterThan(0);
    for (const m of mounts) {
      expect(m.source, `${m.name} mounts ${m.source}`).toMatch(/^\.\/deploy\//);
      expect(fs.existsSync(path.join(root, m.source)), `${m.name} mounts ${m.source}`).toBe(true);
    }
    const target = (name: string, source: string) => mounts.find((m) => m.name === name && m.source === source)?.target;
    const catalog = services['gateway-a']!.environment!.TRINO_CATALOG;
    expect(target('trino', './deploy/trino/config.properties')).toBe('/etc/trino/config.properties');
    expect(target('trino', './deploy/trino/catalog/iceberg.properties')).toBe(`/etc/trino/catalog/${catalog}.properties`);
    expect(target('lb', './deploy/nginx/gateways.conf')).toMatch(/^\/etc\/nginx\/conf\.d\/[^/]+\.conf$/);
    expect(target('prometheus', './deploy/prometheus/prometheus.yml')).toBe('/etc/prometheus/prometheus.yml');
    expect(target('grafana', './deploy/grafana/provisioning/datasources')).toBe('/etc/grafana/provisioning/datasources');
    expect(target('grafana', './deploy/grafana/provisioning/dashboards')).toBe('/etc/grafana/provisioning/dashboards');
    const provider = parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as { providers: { type: string; options: { path: string } }[] };
    expect(provider.providers.map((p) => p.type)).toEqual(['file']);
    expect(target('grafana', './deploy/grafana/dashboards')).toBe(provider.providers[0]!.options.path);
  });

  it('runs Trino with dynamic catalogs and a static Iceberg catalog on the gateways’ Nessie and bucket, as the gateway makes its per-commit ones', () => {
    const config = properties(read('deploy/trino/config.properties'));
    expect(config).toEqual({
      coordinator: 'true',
      'node-scheduler.include-coordinator': 'true',
      'http-server.http.port': '8080',
      'discovery.uri': 'http://localhost:8080',
      'catalog.management': 'dynamic',
    });
    const env = services['gateway-a']!.environment!;
    expect(new URL(env.TRINO_URL!).port).toBe(config['http-server.http.port']);

    const catalog = properties(read('deploy/trino/catalog/iceberg.properties'));
    expect(catalog).toEqual({
      'connector.name': 'iceberg',
      'iceberg.catalog.type': 'rest',
      'iceberg.rest-catalog.uri': env.NESSIE_URI!.replace(/\/api\/v2$/, '/iceberg'),
      'iceberg.rest-catalog.prefix': 'main',
      'fs.native-s3.enabled': 'true',
      's3.endpoint': env.AWS_ENDPOINT_URL_S3,
      's3.path-style-access': 'true',
      's3.region': env.AWS_REGION,
      's3.aws-access-key': '${ENV:AWS_ACCESS_KEY_ID}',
      's3.aws-secret-key': '${ENV:AWS_SECRET_ACCESS_KEY}',
    });
    // The keys those ${ENV:…} name are in Trino's environment, and are the S3 server's.
    const trinoEnv = services.trino!.environment!;
    expect(trinoEnv.AWS_ACCESS_KEY_ID).toBe(services.s3!.environment!.ROOT_ACCESS_KEY);
    expect(trinoEnv.AWS_SECRET_ACCESS_KEY).toBe(services.s3!.environment!.ROOT_SECRET_KEY);

    // The catalogs the gateway creates (one per commit) read the same catalog and bucket.
    const trino = loadConfig(env).trino;
    expect(trino?.catalog).toBe('iceberg');
    for (const [k, v] of Object.entries(trino!.catalogProperties)) expect(v, k).toBe(catalog[k]);
  });

  it('load-balances HTTP and WebSocket upgrades over both gateways on port 4000', () => {
    const conf = read('deploy/nginx/gateways.conf').replace(/#.*$/gm, '');
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(conf)!;
    expect(upstream).not.toBeNull();
    const servers = [...upstream[2]!.matchAll(/server\s+([^\s;]+)/g)].map((m) => m[1]);
    expect(servers).toEqual(GATEWAYS.map((g) => `${g}:4000`)); // the gateways' PORT (default 4000; not set)
    for (const g of GATEWAYS) expect(services[g]!.environment!.PORT).toBeUndefined();
    expect(conf).toMatch(/listen\s+4000;/);
    expect(services.lb!.ports).toEqual(['4000:4000']);
    expect(conf).toContain(`proxy_pass http://${upstream[1]};`);
    expect(conf).toMatch(/proxy_http_version\s+1\.1;/);
    expect(conf).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade;/);
    expect(conf).toMatch(/proxy_set_header\s+Connection\s+\$connection_upgrade;/);
    expect(conf).toMatch(/map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*default\s+upgrade;/);
    expect(conf).toMatch(/proxy_read_timeout\s+(\d+h|\d{4,}s?);/);
  });

  it('has Prometheus scrape both gateways and Grafana read Prometheus and PostgreSQL', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as { scrape_configs: { metrics_path?: string; static_configs: { targets: string[] }[] }[] };
    const job = prom.scrape_configs.find((c) => c.static_configs.some((s) => s.targets.includes('gateway-a:4000')))!;
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.static_configs.flatMap((s) => s.targets).sort()).toEqual(GATEWAYS.map((g) => `${g}:4000`));

    const sources = (parse(read('deploy/grafana/provisioning/datasources/datasources.yml')) as { datasources: { uid: string; type: string; url: string; user?: string; jsonData?: { database?: string }; secureJsonData?: { password?: string } }[] }).datasources;
    const promSource = sources.find((d) => d.type === 'prometheus')!;
    expect(promSource.url).toBe('http://prometheus:9090');
    const pg = sources.find((d) => d.type === 'grafana-postgresql-datasource')!;
    const db = new URL(services['gateway-a']!.environment!.DATABASE_URL!);
    expect(pg.url).toBe(`${db.hostname}:${db.port}`);
    expect(pg.user).toBe(db.username);
    expect(pg.secureJsonData?.password).toBe(db.password);
    expect(pg.jsonData?.database).toBe(db.pathname.slice(1));
  });

  describe('the Grafana dashboard', () => {
    const dashboards = fs.readdirSync(path.join(root, 'deploy/grafana/dashboards')).filter((f) => f.endsWith('.json'));
    const dashboard = JSON.parse(read(`deploy/grafana/dashboards/${dashboards[0]}`)) as { uid: string; title: string; panels: Panel[] };
    const sources = (parse(read('deploy/grafana/provisioning/datasources/datasources.yml')) as { datasources: { uid: string; type: string }[] }).datasources;
    const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t, datasource: t.datasource ?? p.datasource })));

    it('is one JSON file with the panels of the stack, each on a provisioned data source', () => {
      expect(dashboards).toHaveLength(1);
      expect(dashboard.uid).toBeTruthy();
      expect(dashboard.panels.map((p) => p.title)).toEqual(['Request rate', 'p99 latency', 'Errors', 'Run outcomes', 'Mart publish times']);
      for (const t of targets) {
        const source = sources.find((s) => s.uid === t.datasource?.uid);
        expect(source, `${t.panel} ${t.refId}`).toBeDefined();
        expect(t.datasource?.type, `${t.panel} ${t.refId}`).toBe(source!.type);
        expect(source!.type === 'prometheus' ? t.expr : t.rawSql, `${t.panel} ${t.refId}`).toBeTruthy();
      }
    });

    it('queries only metrics, labels and label values the gateway registers (src/)', () => {
      const registered = registeredMetrics();
      expect(registered.has('cascade_http_requests_total')).toBe(true); // the parse of src/ found them
      const withMetricsPorts = new Set<string>();
      for (const f of ['src/adapters/index.ts']) for (const m of read(f).matchAll(/'([A-Z][A-Za-z]+)',\s*metrics\.backendCalls/g)) withMetricsPorts.add(m[1]!);
      const exprs = targets.filter((t) => t.expr);
      expect(exprs.length).toBeGreaterThan(0);
      for (const t of exprs) {
        const where = `${t.panel} ${t.refId}: ${t.expr}`;
        const q = promql(t.expr!);
        expect(q.metrics.length, where).toBeGreaterThan(0);
        for (const f of q.functions) expect(PROMQL_FUNCTIONS.has(f), `${where}: ${f}()`).toBe(true);
        const labels = new Set(['instance', 'job']);
        for (const m of q.metrics) {
          expect(registered.has(m), `${where}: ${m} is not a metric the gateway registers`).toBe(true);
          for (const l of registered.get(m)!.labels) labels.add(l);
        }
        for (const l of q.labels) expect(labels.has(l), `${where}: label ${l}`).toBe(true);
        for (const { label, value } of q.matchers) {
          if (label === 'port') expect(withMetricsPorts.has(value), `${where}: port ${value}`).toBe(true);
          if (label === 'outcome') expect(['ok', 'error'], where).toContain(value);
        }
        const port = q.matchers.find((m) => m.label === 'port')?.value;
        const method = q.matchers.find((m) => m.label === 'method')?.value;
        if (method) {
          const file = `src/ports/${port!.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.ts`;
          expect(read(file), `${where}: ${port}.${method}`).toMatch(new RegExp(`^\\s+${method}\\(`, 'm'));
        }
      }
    });

    it('reads run outcomes from the runs table the run store creates', () => {
      const schema = read('src/adapters/run-store/sql/run-schema.ts');
      const body = /CREATE TABLE IF NOT EXISTS runs \(([\s\S]*?)\)`/.exec(schema)![1]!;
      const columns = new Set([...body.matchAll(/^\s*([a-z_]+)\s+(?:text|jsonb|timestamptz|boolean|integer|bigint)/gm)].map((m) => m[1]!));
      for (const m of schema.matchAll(/ALTER TABLE runs ADD COLUMN (?:IF NOT EXISTS )?([a-z_]+)/g)) columns.add(m[1]!);
      expect(columns).toContain('status');
      const sqls = targets.filter((t) => t.rawSql);
      expect(sqls.map((t) => t.panel)).toEqual(['Run outcomes']);
      const keywords = new Set(['select', 'as', 'from', 'where', 'and', 'or', 'in', 'not', 'is', 'null', 'group', 'by', 'order', 'count', 'desc', 'asc', 'metric', 'value', 'time']);
      for (const t of sqls) {
        const sql = t.rawSql!;
        expect([...sql.matchAll(/\bFROM\s+([a-z_]+)/gi)].map((m) => m[1])).toEqual(['runs']);
        for (const m of sql.matchAll(/'([A-Z]+)'/g)) expect(RUN_STATUSES as readonly string[], sql).toContain(m[1]);
        const words = sql.replace(/'[^']*'/g, ' ').replace(/\$__[A-Za-z]+/g, ' ').match(/\b[a-z_][a-z0-9_]*\b/gi) ?? [];
        for (const w of words) if (!keywords.has(w.toLowerCase()) && w !== 'runs') expect(columns, `${w} in ${sql}`).toContain(w);
      }
    });
  });
});
