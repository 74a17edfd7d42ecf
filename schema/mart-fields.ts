/**
 * One typed root field per published mart, built from the marts' columns and added to the static
 * Pothos schema: `mrtGlucoseOverview(where, orderBy, first, after)` (a connection of typed rows with
 * Hasura-style typed `where` and `{ column: DESC }` orderBy entries) and
 * `mrtGlucoseOverviewAggregate(where)`. The gateway rebuilds this schema when the set of marts or
 * their columns change; operations already running (subscriptions included) keep the schema they
 * started with. Typed arguments become the same where/orderBy data the generic Mart.rows takes, so
 * validation and SQL building stay in one place (src/domain/mart-filters.ts).
 */
import {
  GraphQLBoolean, GraphQLEnumType, GraphQLFloat, GraphQLInputObjectType, GraphQLInt, GraphQLList, GraphQLNonNull,
  GraphQLObjectType, GraphQLSchema, GraphQLString, type GraphQLFieldConfigMap, type GraphQLInputType,
  type GraphQLOutputType, type GraphQLScalarType,
} from 'graphql';
import { InvalidInput } from '../src/domain/errors.js';
import { martKind, type MartKind } from '../src/domain/mart-filters.js';
import type { MartColumn, PublishedMart } from '../src/ports/mart-store.js';
import type { Context } from './context.js';

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** `mrt_glucose_overview` → `mrtGlucoseOverview` (field) and `MrtGlucoseOverview` (type). */
export function martFieldName(mart: string): string | null {
  const camel = mart.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/[_-]+$/, '');
  return NAME.test(camel) && !camel.startsWith('__') ? camel : null;
}

/** Marts whose names or columns differ give a different signature: the schema is rebuilt then. */
export function martsSignature(marts: readonly PublishedMart[]): string {
  return JSON.stringify([...marts].sort((a, b) => a.name.localeCompare(b.name)).map((m) => [m.name, m.columns.map((c) => [c.name, c.type, c.nullable])]));
}

interface Scalars {
  bigInt: GraphQLScalarType;
  dateTime: GraphQLScalarType;
  json: GraphQLScalarType;
}

/** The static schema plus one typed field (and its aggregate) per mart. */
export function withMartFields(base: GraphQLSchema, marts: readonly PublishedMart[], log: (msg: string) => void = () => undefined): GraphQLSchema {
  if (marts.length === 0) return base;
  const config = base.toConfig();
  const query = base.getQueryType()!;
  const scalars: Scalars = {
    bigInt: base.getType('BigInt') as GraphQLScalarType,
    dateTime: base.getType('DateTime') as GraphQLScalarType,
    json: base.getType('JSON') as GraphQLScalarType,
  };
  const pageInfo = base.getType('PageInfo') as GraphQLObjectType;
  const taken = new Set([...Object.keys(base.getTypeMap()), ...Object.keys(query.getFields())]);
  const shared = sharedTypes(scalars, taken);
  const fields: GraphQLFieldConfigMap<unknown, Context> = {};
  for (const mart of [...marts].sort((a, b) => a.name.localeCompare(b.name))) {
    const field = martFieldName(mart.name);
    const type = field && field[0]!.toUpperCase() + field.slice(1);
    const names = type ? [field!, `${field}Aggregate`, type, `${type}Where`, `${type}OrderBy`, `${type}Connection`, `${type}Edge`, `${type}Aggregate`] : [];
    const clash = names.find((n) => taken.has(n));
    const badColumn = mart.columns.find((c) => !NAME.test(c.name) || c.name.startsWith('__'));
    if (!field || !type || clash || badColumn) {
      log(`mart '${mart.name}' gets no typed field (${clash ? `'${clash}' is taken` : badColumn ? `column '${badColumn.name}' is not a GraphQL name` : 'its name is not a GraphQL name'}); read it through mart(name:)`);
      continue;
    }
    for (const n of names) taken.add(n);
    Object.assign(fields, martFields(mart, field, type, scalars, shared, pageInfo));
  }
  const newQuery = new GraphQLObjectType({ ...query.toConfig(), fields: { ...query.toConfig().fields, ...fields } });
  return new GraphQLSchema({
    ...config,
    query: newQuery,
    types: config.types.filter((t) => t.name !== query.name),
  });
}

interface Shared {
  comparison: Record<'int' | 'bigInt' | 'float' | 'string' | 'boolean', GraphQLInputObjectType>;
  direction: GraphQLEnumType;
  stats: Record<'integer' | 'float', GraphQLObjectType>;
}

function sharedTypes(s: Scalars, taken: Set<string>): Shared {
  const comparison = (name: string, t: GraphQLInputType, ordered: boolean, like: boolean) => {
    const list = new GraphQLList(new GraphQLNonNull(t));
    return new GraphQLInputObjectType({
      name,
      description: 'Hasura-style comparison: every given operator must hold',
      fields: {
        _eq: { type: t },
        _neq: { type: t },
        ...(ordered ? { _gt: { type: t }, _gte: { type: t }, _lt: { type: t }, _lte: { type: t } } : {}),
        _in: { type: list },
        _nin: { type: list },
        ...(like ? { _like: { type: GraphQLString }, _ilike: { type: GraphQLString } } : {}),
        _is_null: { type: GraphQLBoolean },
      },
    });
  };
  const name = (n: string) => (taken.has(n) ? `Mart${n}` : n);
  const stats = (n: string, value: GraphQLOutputType) =>
    new GraphQLObjectType({
      name: name(n),
      fields: { sum: { type: value }, avg: { type: GraphQLFloat }, min: { type: value }, max: { type: value } },
    });
  return {
    comparison: {
      int: comparison(name('IntComparison'), GraphQLInt, true, false),
      bigInt: comparison(name('BigIntComparison'), s.bigInt, true, false),
      float: comparison(name('FloatComparison'), GraphQLFloat, true, false),
      string: comparison(name('StringComparison'), GraphQLString, true, true),
      boolean: comparison(name('BooleanComparison'), GraphQLBoolean, false, false),
    },
    direction: new GraphQLEnumType({ name: name('MartOrderDirection'), values: { ASC: {}, DESC: {} } }),
    stats: { integer: stats('MartIntegerStats', GraphQLString), float: stats('MartFloatStats', GraphQLFloat) },
  };
}

/** The GraphQL output type of a column, and the comparison its where entry takes. */
function columnTypes(kind: MartKind, s: Scalars, shared: Shared): { out: GraphQLOutputType; cmp: GraphQLInputObjectType | null } {
  switch (kind) {
    case 'boolean': return { out: GraphQLBoolean, cmp: shared.comparison.boolean };
    case 'int': return { out: GraphQLInt, cmp: shared.comparison.int };
    case 'long': return { out: s.bigInt, cmp: shared.comparison.bigInt };
    case 'float': case 'double': return { out: GraphQLFloat, cmp: shared.comparison.float };
    case 'decimal': case 'date': case 'time': case 'string': case 'uuid': case 'binary':
      return { out: GraphQLString, cmp: kind === 'binary' ? null : shared.comparison.string };
    case 'timestamp': case 'timestamptz': return { out: GraphQLString, cmp: shared.comparison.string };
    case 'json': return { out: s.json, cmp: null };
  }
}

function martFields(mart: PublishedMart, field: string, type: string, s: Scalars, shared: Shared, pageInfo: GraphQLObjectType): GraphQLFieldConfigMap<unknown, Context> {
  const kinds = new Map(mart.columns.map((c) => [c.name, martKind(c.type)]));
  const typed = (c: MartColumn) => columnTypes(kinds.get(c.name)!, s, shared);
  const row = new GraphQLObjectType({
    name: type,
    description: `A row of mart ${mart.name} (published from ${mart.publishedFrom.table})`,
    fields: Object.fromEntries(mart.columns.map((c) => {
      const t = typed(c).out;
      return [c.name, { type: c.nullable ? t : new GraphQLNonNull(t), description: `${c.type}` }];
    })),
  });
  const where: GraphQLInputObjectType = new GraphQLInputObjectType({
    name: `${type}Where`,
    fields: () => ({
      ...Object.fromEntries(mart.columns.flatMap((c) => {
        const cmp = typed(c).cmp;
        return cmp ? [[c.name, { type: cmp }]] : [];
      })),
      _and: { type: new GraphQLList(new GraphQLNonNull(where)) },
      _or: { type: new GraphQLList(new GraphQLNonNull(where)) },
      _not: { type: where },
    }),
  });
  const sortable = mart.columns.filter((c) => !['binary', 'json'].includes(kinds.get(c.name)!));
  const orderBy = new GraphQLInputObjectType({
    name: `${type}OrderBy`,
    description: 'One column per entry, e.g. { reading_date: DESC }',
    fields: Object.fromEntries(sortable.map((c) => [c.name, { type: shared.direction }])),
  });
  const edge = new GraphQLObjectType({ name: `${type}Edge`, fields: { cursor: { type: new GraphQLNonNull(GraphQLString) }, node: { type: new GraphQLNonNull(row) } } });
  const connection = new GraphQLObjectType({
    name: `${type}Connection`,
    fields: {
      nodes: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(row))) },
      edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))) },
      pageInfo: { type: new GraphQLNonNull(pageInfo) },
      totalCount: { type: s.bigInt },
    },
  });
  const numeric = mart.columns.filter((c) => ['int', 'long', 'float', 'double', 'decimal'].includes(kinds.get(c.name)!));
  const aggregate = new GraphQLObjectType({
    name: `${type}Aggregate`,
    fields: {
      count: { type: new GraphQLNonNull(s.bigInt) },
      ...Object.fromEntries(numeric.map((c) => {
        const k = kinds.get(c.name)!;
        return [c.name, { type: new GraphQLNonNull(k === 'float' || k === 'double' ? shared.stats.float : shared.stats.integer) }];
      })),
    },
  });
  return {
    [field]: {
      type: new GraphQLNonNull(connection),
      description: `Rows of mart ${mart.name}, keyset-paged`,
      args: {
        where: { type: where },
        orderBy: { type: new GraphQLList(new GraphQLNonNull(orderBy)) },
        first: { type: GraphQLInt },
        after: { type: GraphQLString },
      },
      resolve: async (_root, args: { where?: unknown; orderBy?: Record<string, string>[] | null; first?: number | null; after?: string | null }, ctx: Context, info) => {
        const wantsTotal = info.fieldNodes.some((n) => n.selectionSet?.selections.some((sel) => sel.kind === 'Field' && sel.name.value === 'totalCount'));
        const page = await ctx.services.marts.rows(mart.name, { where: args.where ?? undefined, orderBy: toOrderBy(args.orderBy), first: args.first, after: args.after }, ctx.actor, wantsTotal);
        const nodes = page.rows;
        return {
          nodes,
          edges: nodes.map((node) => ({ cursor: page.nextCursor ?? '', node })),
          pageInfo: { hasNextPage: page.hasMore, hasPreviousPage: args.after != null, startCursor: null, endCursor: page.nextCursor },
          totalCount: page.totalCount === null ? null : String(page.totalCount),
        };
      },
    },
    [`${field}Aggregate`]: {
      type: new GraphQLNonNull(aggregate),
      description: `count, and sum avg min max of each numeric column of mart ${mart.name}, over the rows matching where`,
      args: { where: { type: where } },
      resolve: (_root, args: { where?: unknown }, ctx: Context) => ctx.services.marts.aggregate(mart.name, args.where ?? undefined, ctx.actor),
    },
  };
}

/** `[{ reading_date: DESC }]` → `[{ column: 'reading_date', direction: 'DESC' }]`; one column per entry. */
function toOrderBy(entries: Record<string, string>[] | null | undefined) {
  if (!entries) return undefined;
  return entries.map((e, i) => {
    const keys = Object.keys(e).filter((k) => e[k] != null);
    if (keys.length !== 1) throw new InvalidInput(`orderBy[${i}] must name exactly one column`, 'orderBy');
    return { column: keys[0]!, direction: e[keys[0]!] as 'ASC' | 'DESC' };
  });
}
