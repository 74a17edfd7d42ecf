/**
 * GraphQL over HTTP, the common case answered directly: a POST of a JSON body `{ query, variables?,
 * operationName? }` to /graphql, without an Origin header (so no CORS) or a content encoding, that
 * accepts application/json (Accept absent, `*∕*` or application/json), whose document parses,
 * validates and names a query or mutation.
 *
 * A query text new for the schema of the moment is parsed and validated by yoga's envelop (its
 * caches, every limit rule, the refusal log) once; the document is kept (ValidatedDocuments) and
 * the operation runs through the execute-time steps of src/server/operation-steps.ts: the cost limit, the
 * timeout, the operation log and the error mask of yoga's path, without its fetch layer (a whatwg Request and Response per
 * request) or envelop's per-request orchestration, which were most of yoga's cost per request. The
 * answer is what yoga would send: the same status, headers and bytes; results with errors go
 * through yoga's own `processRegularResult`.
 *
 * Anything else (GET, uploads, SSE, batches, persisted operations, CORS, odd bodies, documents
 * that fail to parse or validate, subscriptions) is handed to yoga with the body already read, so
 * those answers stay yoga's own.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getOperationAST, type DocumentNode, type GraphQLSchema } from 'graphql';
import { processRegularResult, type YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../../schema/context.js';
import type { Actor } from '../auth/actor.js';
import type { OperationSteps } from './operation-steps.js';
import { Lru } from '../util/lru.js';
import { resultWithRequestId } from './limits/request-id.js';

type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** The context envelop parses and validates a new query text in (the operation log reads the flag). */
export interface DirectContext {
  params: Params;
  requestId: string;
  actor: Actor;
  /** A document this path refuses goes on to yoga, which answers (and logs) the refusal. */
  refusalsReportedByYoga: true;
}

/** Counters of who answered (cascade_graphql_posts_total). */
export interface PostCounters {
  direct: { inc(): void };
  yoga: { inc(): void };
}

/** What answerPost works with, made once by app.ts. */
export interface DirectPath {
  yoga: Yoga;
  /** The schema operations run against now (the static schema and the mart fields). */
  schema: () => GraphQLSchema;
  validated: ValidatedDocuments;
  steps: OperationSteps;
  /** The GraphQL context of an operation (the one yoga's context function makes). */
  context: (requestId: string, actor: Actor) => Context;
  counters: PostCounters;
}

const PARAM_NAMES = new Set(['query', 'variables', 'operationName']);

/** Whether the request's headers allow the direct path (its body is not read yet). */
export function mayAnswerDirectly(req: IncomingMessage): boolean {
  const h = req.headers;
  if (req.method !== 'POST' || req.url !== '/graphql' || h.origin !== undefined || h['content-encoding'] !== undefined) return false;
  const type = h['content-type'];
  if (type !== 'application/json' && !type?.startsWith('application/json;')) return false;
  const accept = h.accept;
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return true;
  // yoga answers application/json to these too; anything richer (graphql-response+json, SSE, multipart) goes to yoga.
  const normalized = accept.replace(/\s/g, '').toLowerCase();
  return normalized === '*/*' || normalized === 'application/json' || normalized === 'application/json;charset=utf-8';
}

/**
 * Answers an eligible POST (see mayAnswerDirectly): reads the body (already checked against the size
 * limit), then either answers it or hands it to yoga. `requestId` is the id assignRequestId set.
 */
export async function answerPost(path: DirectPath, req: IncomingMessage, res: ServerResponse, opts: { requestId: string; actor: Actor }): Promise<void> {
  const { yoga, counters } = path;
  const { requestId, actor } = opts;
  const body = await readBody(req);
  const params = paramsOf(body);
  let schema = path.schema();
  let document = params && path.validated.get(schema, params.query);
  if (params && !document) {
    const enveloped = yoga.getEnveloped({ params, requestId, actor, refusalsReportedByYoga: true } satisfies DirectContext);
    schema = enveloped.schema;
    document = validDocument(enveloped, params.query);
    if (document) path.validated.add(schema, params.query, document);
  }
  const operation = document && getOperationAST(document, params!.operationName);
  if (!document || !operation || operation.operation === 'subscription') {
    (req as { body?: unknown }).body = body; // whatwg-node (under yoga) reads a Buffer `body` instead of the stream
    counters.yoga.inc();
    return yoga(req, res);
  }
  counters.direct.inc();
  // The operation's context holds plain values, not the node request and response: a context can
  // outlive its request in weakly keyed caches (Pothos keeps one per context) until a major GC,
  // and it should not drag the request's buffers and sockets along.
  const result = await path.steps.runDirect({ schema, document, operationName: params!.operationName, variables: params!.variables, context: path.context(requestId, actor) });
  if (!result.errors?.length && !result.extensions) {
    const json = JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    res.end(json);
    return;
  }
  const response = await processRegularResult(resultWithRequestId(result, requestId), yoga.fetchAPI, 'application/json');
  const text = await response.text();
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => (headers[name] = value));
  res.writeHead(response.status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

type Enveloped = ReturnType<Yoga['getEnveloped']>;

/** The parsed document when it parses and validates; undefined for yoga to say what is wrong. */
function validDocument(enveloped: Enveloped, query: string): DocumentNode | undefined {
  try {
    const document = enveloped.parse(query);
    return enveloped.validate(enveloped.schema, document).length > 0 ? undefined : document; // yoga's cache answers a known pair
  } catch {
    return undefined; // a syntax error or a limit
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const already = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(already)) return Promise.resolve(already); // a chunked body checkBodySize collected
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The body's parameters when they are plainly well formed; undefined sends the request to yoga. */
function paramsOf(body: Buffer): Params | undefined {
  if (!isUtf8(body)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const p = parsed as Record<string, unknown>;
  for (const key in p) if (!PARAM_NAMES.has(key)) return undefined;
  if (typeof p.query !== 'string' || p.query.length === 0) return undefined;
  if (p.variables != null && (typeof p.variables !== 'object' || Array.isArray(p.variables))) return undefined;
  if (p.operationName != null && typeof p.operationName !== 'string') return undefined;
  return p as unknown as Params;
}

/** Query texts that parsed and validated for a schema, with their documents (a bounded number per schema). */
export class ValidatedDocuments {
  private readonly bySchema = new WeakMap<GraphQLSchema, Lru<string, DocumentNode>>();
  constructor(private readonly perSchema = 1024) {}

  get(schema: GraphQLSchema, query: string): DocumentNode | undefined {
    return this.bySchema.get(schema)?.get(query);
  }

  add(schema: GraphQLSchema, query: string, document: DocumentNode): void {
    let known = this.bySchema.get(schema);
    if (!known) this.bySchema.set(schema, (known = new Lru(this.perSchema)));
    known.set(query, document);
  }
}
