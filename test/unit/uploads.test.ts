/** Multipart uploads streamed to disk (src/server/uploads.ts) and the GraphQL parameters built from them. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { graphqlParams } from '../../src/server/limits/upload-size.js';
import { readMultipart, UploadedFile, uploadedPath, type MultipartLimits } from '../../src/server/uploads.js';

const LIMITS: MultipartLimits = { fileSize: 1000, fieldSize: 1000, files: 3, fields: 10, parts: 20 };

/** A multipart body as a client sends it, in chunks of `chunk` bytes. */
async function encode(form: FormData, chunk = 7): Promise<{ body: Readable; headers: Record<string, string> }> {
  const res = new Response(form);
  const bytes = Buffer.from(await res.arrayBuffer());
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk));
  return { body: Readable.from(pieces), headers: { 'content-type': res.headers.get('content-type')! } };
}

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cg-uploads-test-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('readMultipart', () => {
  it('streams files to disk and keeps fields as strings', async () => {
    const form = new FormData();
    form.append('operations', '{"query": "{ __typename }"}');
    form.append('map', '{"0": ["variables.f"]}');
    form.append('0', new Blob(['{"a": 1}\n{"a": 2}\n'], { type: 'application/x-ndjson' }), 'rows.ndjson');
    const { body, headers } = await encode(form);
    const out = await readMultipart(body, headers, LIMITS, dir);
    expect(out.get('operations')).toBe('{"query": "{ __typename }"}');
    expect(out.get('map')).toBe('{"0": ["variables.f"]}');
    const file = out.get('0') as UploadedFile;
    expect(file).toBeInstanceOf(UploadedFile);
    expect(file).toMatchObject({ name: 'rows.ndjson', type: 'application/x-ndjson', size: 18 });
    expect(path.dirname(file.path)).toBe(dir);
    expect(uploadedPath(file)).toBe(file.path);
    expect(await fs.readFile(file.path, 'utf8')).toBe('{"a": 1}\n{"a": 2}\n');
    expect(await file.text()).toBe('{"a": 1}\n{"a": 2}\n');
    expect(Buffer.from(await new Response(file.stream()).arrayBuffer()).toString()).toBe('{"a": 1}\n{"a": 2}\n');
  });

  it('keeps binary content byte for byte, across chunk boundaries', async () => {
    const data = Buffer.alloc(900);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 256;
    const form = new FormData();
    form.append('0', new Blob([data]), 'x.parquet');
    form.append('1', new Blob([]), 'empty.csv');
    const { body, headers } = await encode(form, 64);
    const out = await readMultipart(body, headers, LIMITS, dir);
    expect(Buffer.compare(await fs.readFile((out.get('0') as UploadedFile).path), data)).toBe(0);
    expect((out.get('1') as UploadedFile).size).toBe(0);
  });

  it('refuses a file, a field or a count over the limits', async () => {
    const big = new FormData();
    big.append('0', new Blob([Buffer.alloc(1001)]), 'big.csv');
    await expect(readMultipart(...(await args(big)))).rejects.toThrow(/File size limit exceeded: 1000 bytes/);
    const field = new FormData();
    field.append('operations', 'x'.repeat(1001));
    await expect(readMultipart(...(await args(field)))).rejects.toThrow(/Field value size exceeded/);
    const files = new FormData();
    for (let i = 0; i < 4; i++) files.append(String(i), new Blob(['{}']), `${i}.json`);
    await expect(readMultipart(...(await args(files)))).rejects.toThrow(/Files limit exceeded: 3/);
    const fields = new FormData();
    for (let i = 0; i < 11; i++) fields.append(`f${i}`, 'v');
    await expect(readMultipart(...(await args(fields)))).rejects.toThrow(/Fields limit exceeded: 10/);
  });

  it('refuses malformed bodies and passes on errors of the body stream', async () => {
    await expect(readMultipart(Readable.from([Buffer.from('x')]), { 'content-type': 'multipart/form-data' }, LIMITS, dir)).rejects.toThrow();
    const form = new FormData();
    form.append('0', new Blob(['abc']), 'a.csv');
    const { body, headers } = await encode(form);
    const all = Buffer.concat(await body.toArray());
    await expect(readMultipart(Readable.from([all.subarray(0, all.length - 20)]), headers, LIMITS, dir)).rejects.toThrow();
    const failing = (async function* () {
      yield all.subarray(0, 10);
      throw new Error('the upload is larger than the limit');
    })();
    await expect(readMultipart(failing, headers, LIMITS, dir)).rejects.toThrow('the upload is larger than the limit');
  });

  const args = async (form: FormData) => {
    const { body, headers } = await encode(form);
    return [body, headers, LIMITS, dir] as const;
  };
});

describe('graphqlParams', () => {
  const file = new UploadedFile('/nowhere', 'a.csv', 'text/csv', 3);
  const form = (entries: Record<string, string | UploadedFile>) => new Map(Object.entries(entries));

  it('puts the files where map says, in single and batched operations', () => {
    const one = graphqlParams(form({ operations: '{"query": "q", "variables": {"f": null, "g": [null]}}', map: '{"0": ["variables.f", "variables.g.0"]}', 0: file }));
    expect(one).toEqual({ query: 'q', variables: { f: file, g: [file] } });
    const batch = graphqlParams(form({ operations: '[{"query": "a", "variables": {}}, {"query": "b"}]', map: '{"x": ["1.variables.f"]}', x: file }));
    expect(batch).toEqual([{ query: 'a', variables: {} }, { query: 'b', variables: { f: file } }]);
    // a map key without a part gives null, as yoga does
    expect(graphqlParams(form({ operations: '{"query": "q", "variables": {}}', map: '{"9": ["variables.f"]}' }))).toEqual({ query: 'q', variables: { f: null } });
  });

  it('refuses a missing or invalid operations or map with INVALID_INPUT and 400', () => {
    const bad = [
      {},
      { operations: file },
      { operations: '{' },
      { operations: '1' },
      { operations: '{}', map: '[' },
      { operations: '{}', map: '[]' },
      { operations: '{}', map: '{"0": "variables.f"}' },
      { operations: '{}', map: '{"0": [1]}' },
      { operations: '{"variables": 5}', map: '{"0": ["variables.f.g"]}' },
    ];
    for (const entries of bad) {
      let error: any;
      try {
        graphqlParams(form(entries as Record<string, string>));
      } catch (e) {
        error = e;
      }
      expect(error?.extensions, JSON.stringify(entries)).toMatchObject({ code: 'INVALID_INPUT', http: { status: 400 } });
    }
  });

  it('never writes through __proto__ or constructor', () => {
    const out = graphqlParams(form({ operations: '{"query": "q"}', map: '{"0": ["__proto__.polluted", "constructor.prototype.polluted", "variables.__proto__"]}', 0: file }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out).toEqual({ query: 'q', variables: {} });
  });
});
