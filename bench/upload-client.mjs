// Uploads for the tables benchmark from a process of its own (bench/tables-support.ts, UploadClient),
// so the client's work (reading the file, multipart encoding, fetch) does not run on the gateway's
// event loop, as it would not in a deployment. One JSON command per stdin line:
//   {"url": "http://…/graphql", "operations": {…}, "map": {…}, "files": {"0": "/path/x.parquet"}}
// -> one JSON line per command: {"status": 200, "body": {…}} (or {"error": "…"}).
// The request is what BenchGateway.appendFile sent before: fetch with FormData, files by openAsBlob.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';

for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  let out;
  try {
    const cmd = JSON.parse(line);
    const form = new FormData();
    form.append('operations', JSON.stringify(cmd.operations));
    form.append('map', JSON.stringify(cmd.map));
    for (const [key, file] of Object.entries(cmd.files)) form.append(key, await openAsBlob(file), basename(file));
    const res = await fetch(cmd.url, { method: 'POST', body: form });
    out = { status: res.status, body: await res.json() };
  } catch (e) {
    out = { error: String(e?.stack ?? e) };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
