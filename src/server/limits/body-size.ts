/**
 * Request body size, checked on the raw HTTP request before anything parses it: a declared
 * Content-Length over the limit is 413 at once; a chunked body is counted as it arrives (JSON bodies
 * are collected up to the limit, multipart bodies are streamed through a counter). Multipart
 * requests (uploads) have their own, larger limit.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../domain/errors.js';
import { errorBody, limitError } from './errors.js';

export interface BodyLimits {
  maxBodyBytes: number;
  maxUploadBytes: number;
}

const isMultipart = (req: IncomingMessage) => (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/');

/**
 * Returns true when it answered the request (413); otherwise the request may go on to GraphQL.
 * Answers at once (no promise) unless a chunked JSON body has to be collected.
 */
export function checkBodySize(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): boolean | Promise<boolean> {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return false;
  const multipart = isMultipart(req);
  const max = multipart ? limits.maxUploadBytes : limits.maxBodyBytes;
  if (max <= 0) return false;
  const declared = req.headers['content-length'];
  if (declared !== undefined) {
    if (Number(declared) > max) return tooLarge(req, res, max, multipart);
    return false; // node's parser never delivers more than the declared length
  }
  if (req.headers['transfer-encoding'] === undefined) return false;
  if (multipart) {
    (req as { body?: unknown }).body = counted(req, max);
    return false;
  }
  return collectChunked(req, res, max);
}

async function collectChunked(req: IncomingMessage, res: ServerResponse, max: number): Promise<boolean> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return tooLarge(req, res, max, false);
    chunks.push(chunk);
  }
  // whatwg-node (under yoga) takes a Buffer `body` on the node request instead of the stream.
  (req as { body?: unknown }).body = Buffer.concat(chunks);
  return false;
}

function tooLarge(req: IncomingMessage, res: ServerResponse, max: number, multipart: boolean): true {
  const what = multipart ? 'upload' : 'request body';
  res.writeHead(413, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(errorBody(`the ${what} is larger than the limit of ${max} bytes`, ErrorCode.LIMIT_EXCEEDED, String(req.headers['x-request-id'] ?? '')));
  // Let the client finish sending what it has in flight, then drop the connection.
  req.resume();
  return true;
}

async function* counted(req: IncomingMessage, max: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw limitError(`the upload is larger than the limit of ${max} bytes`, { status: 413 });
    yield chunk;
  }
}
