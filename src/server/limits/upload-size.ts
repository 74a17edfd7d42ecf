/**
 * Multipart requests (uploads) under limits: each file at most `maxUploadBytes`, each non-file
 * field (the `operations` JSON, the `map`) at most `maxBodyBytes`, and a bounded number of parts.
 * Over HTTP the body is read here straight from the node request (src/server/uploads.ts): files stream to
 * a scratch folder that is removed when the response ends, and the GraphQL parameters are built
 * from `operations` and `map` as the GraphQL multipart request spec says, with an UploadedFile
 * wherever `map` points. Without a node request (yoga.fetch), yoga's own multipart parser runs on
 * a form read with the same limits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { readMultipart, type MultipartForm, type MultipartLimits } from '../uploads.js';
import { ErrorCode } from '../../domain/errors.js';
import { limitError } from './errors.js';
import { makeTempDir, type TempDir } from '../../util/temp-dir.js';

/** A scratch folder for one request's uploads, and how to remove it. */
export type UploadDir = () => Promise<TempDir>;

const tempUploadDir: UploadDir = () => makeTempDir('cg-upload-');

export function uploadLimits(limits: { maxBodyBytes: number; maxUploadBytes: number; maxFiles?: number }, uploadDir: UploadDir = tempUploadDir): Plugin {
  const multipartLimits: MultipartLimits = {
    fileSize: Math.max(0, limits.maxUploadBytes),
    fieldSize: Math.max(0, limits.maxBodyBytes),
    files: limits.maxFiles ?? 20,
    fields: 100,
    parts: 200,
  };
  const formDataLimits = {
    ...(limits.maxUploadBytes > 0 ? { fileSize: limits.maxUploadBytes } : {}),
    ...(limits.maxBodyBytes > 0 ? { fieldSize: limits.maxBodyBytes } : {}),
    files: multipartLimits.files,
    fields: multipartLimits.fields,
    parts: multipartLimits.parts,
  };
  const refuse = (e: unknown): never => {
    const limit = e instanceof Error && /limit|size exceeded/i.test(e.message) && !/^the upload/.test(e.message);
    if (limit) throw limitError(`multipart request over the limits: ${e.message}`, { status: 413 });
    if (e instanceof Error && 'extensions' in e) throw e; // our own counter (body-size.ts)
    throw limitError('malformed multipart request', { code: ErrorCode.INVALID_INPUT, status: 400 });
  };
  // Not async itself: a request that is not multipart (nearly all) goes on without a promise.
  const onMultipart = async ({ request, serverContext, setRequestParser }: RequestParseArgs) => {
    const { req, res } = serverContext as { req?: IncomingMessage & { body?: unknown }; res?: ServerResponse };
    if (request.method === 'POST' && req && res && !req.readableEnded) {
      const dir = await uploadDir();
      let cleaned = false;
      const cleanup = () => {
        if (cleaned) return;
        cleaned = true;
        void dir.cleanup().catch(() => {});
      };
      // The files live as long as the response: removed once it is sent or the client left.
      res.once('close', cleanup);
      let form: MultipartForm;
      try {
        // A chunked body comes through the byte counter body-size.ts put on the request.
        const body = (req.body as AsyncIterable<Uint8Array> | undefined) ?? (req as Readable);
        form = await readMultipart(body, req.headers, multipartLimits, dir.path);
      } catch (e) {
        cleanup();
        return refuse(e);
      }
      const params = graphqlParams(form);
      setRequestParser(() => params);
      return;
    }
    try {
      await (request as Request & { formData(o: unknown): Promise<FormData> }).formData({ formDataLimits });
    } catch (e) {
      refuse(e);
    }
  };
  return {
    onRequestParse(args) {
      if (!(args.request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) return;
      return onMultipart(args);
    },
  };
}

type RequestParseArgs = Parameters<NonNullable<Plugin['onRequestParse']>>[0];

const invalid = (message: string) => limitError(message, { code: ErrorCode.INVALID_INPUT, status: 400 });

/** `operations` with every path `map` names set to its file, as yoga's own multipart parser does. */
export function graphqlParams(form: MultipartForm): GraphQLParams | GraphQLParams[] {
  const operationsText = form.get('operations');
  if (operationsText === undefined) throw invalid('Missing multipart form field "operations"');
  if (typeof operationsText !== 'string') throw invalid('Multipart form field "operations" must be a string');
  let operations: unknown;
  try {
    operations = JSON.parse(operationsText);
  } catch {
    throw invalid('Multipart form field "operations" must be a valid JSON string');
  }
  const mapText = form.get('map');
  if (mapText !== undefined) {
    if (typeof mapText !== 'string') throw invalid('Multipart form field "map" must be a string');
    let map: unknown;
    try {
      map = JSON.parse(mapText);
    } catch {
      throw invalid('Multipart form field "map" must be a valid JSON string');
    }
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw invalid('Multipart form field "map" must be a JSON object');
    for (const [key, paths] of Object.entries(map)) {
      if (!Array.isArray(paths)) throw invalid(`Multipart form field "map" entry "${key.slice(0, 100)}" must be an array of paths`);
      const file = form.get(key) ?? null;
      for (const p of paths) {
        if (typeof p !== 'string') throw invalid(`Multipart form field "map" entry "${key.slice(0, 100)}" must be an array of paths`);
        setPath(operations, p, file);
      }
    }
  }
  if (typeof operations !== 'object' || operations === null) throw invalid('Multipart form field "operations" must be a JSON object or array');
  return operations as GraphQLParams | GraphQLParams[];
}

function setPath(target: unknown, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = target as Record<string, unknown>;
  for (const [i, key] of keys.entries()) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return;
    if (typeof current !== 'object' || current === null) throw invalid(`Multipart form field "map" path "${path.slice(0, 200)}" does not lead into "operations"`);
    if (i === keys.length - 1) {
      current[key] = value;
      return;
    }
    if (!Object.hasOwn(current, key)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
}
