/** Custom scalars: DateTime (ISO-8601 UTC), JSON, BigInt (64-bit as a string) and File (uploads). */
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { ErrorCode } from '../src/domain/errors.js';
import { builder } from './builder.js';

const invalid = (message: string) => new GraphQLError(message, { extensions: { code: ErrorCode.INVALID_INPUT } });

builder.scalarType('DateTime', {
  description: 'ISO-8601 instant, serialised in UTC',
  serialize: (v) => (v instanceof Date ? v : new Date(String(v))).toISOString(),
  parseValue: (v) => parseDate(v),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw invalid('DateTime must be an ISO-8601 string');
    return parseDate(ast.value);
  },
});

function parseDate(v: unknown): Date {
  if (typeof v !== 'string' || v.length > 64 || !/^\d{4}-\d{2}-\d{2}/.test(v)) throw invalid('DateTime must be an ISO-8601 string');
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw invalid('DateTime must be an ISO-8601 string');
  return d;
}

const INT64 = /^-?\d{1,19}$/;

builder.scalarType('BigInt', {
  description: '64-bit integer, serialised as a decimal string',
  serialize: (v) => String(v),
  parseValue: (v) => parseBigInt(v),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT) throw invalid('BigInt must be an integer or a decimal string');
    return parseBigInt(ast.value);
  },
});

function parseBigInt(v: unknown): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !INT64.test(s)) throw invalid('BigInt must be a 64-bit integer');
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw invalid('BigInt is out of the 64-bit range');
  return n.toString();
}

builder.scalarType('JSON', {
  description: 'Any JSON value',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => literalToJson(ast, variables ?? undefined),
});

function literalToJson(ast: ValueNode, variables: Record<string, unknown> | undefined): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJson(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJson(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw invalid('invalid JSON literal');
  }
}

builder.scalarType('File', {
  description: 'A file sent as a multipart upload (GraphQL multipart request spec)',
  serialize: () => {
    throw new GraphQLError('File is an input-only scalar');
  },
  // yoga hands over its own File implementation (whatwg-node), so check the shape, not the class.
  parseValue: (v) => {
    const f = v as File | null;
    if (!f || typeof f !== 'object' || typeof f.stream !== 'function' || typeof f.name !== 'string') {
      throw invalid('File must be a multipart upload');
    }
    return f;
  },
  parseLiteral: () => {
    throw invalid('File must be sent as a multipart upload variable');
  },
});
