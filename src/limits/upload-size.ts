/**
 * Upload limits inside a multipart request: each file at most `maxUploadBytes`, each non-file field
 * (the `operations` JSON, the `map`) at most `maxBodyBytes`, and a bounded number of parts. The form
 * is read here with those limits; yoga's own multipart parser then reuses the parsed form.
 */
import type { Plugin } from 'graphql-yoga';
import { limitError } from './errors.js';

export function uploadLimits(limits: { maxBodyBytes: number; maxUploadBytes: number; maxFiles?: number }): Plugin {
  const formDataLimits = {
    ...(limits.maxUploadBytes > 0 ? { fileSize: limits.maxUploadBytes } : {}),
    ...(limits.maxBodyBytes > 0 ? { fieldSize: limits.maxBodyBytes } : {}),
    files: limits.maxFiles ?? 20,
    fields: 100,
    parts: 200,
  };
  return {
    async onRequestParse({ request }) {
      if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) return;
      try {
        await (request as Request & { formData(o: unknown): Promise<FormData> }).formData({ formDataLimits });
      } catch (e) {
        const limit = e instanceof Error && /limit|size exceeded/i.test(e.message) && !/^the upload/.test(e.message);
        if (limit) throw limitError(`multipart request over the limits: ${e.message}`, { status: 413 });
        if (e instanceof Error && 'extensions' in e) throw e; // our own counter (body-size.ts)
        throw limitError('malformed multipart request', { code: 'INVALID_INPUT', status: 400 });
      }
    },
  };
}
