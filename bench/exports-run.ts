/**
 * The exports benchmark (`npm run bench -- --only=exports`; not in the default run), on an
 * in-process gateway on the embedded default (PGlite catalog, local warehouse: BenchGateway):
 *
 *   a table of 10,000,000 readings (quick: 1,000,000; id long, sgv int, direction string, ts
 *   timestamptz) made by appendRows uploads of 10 Parquet files DuckDB wrote; then, in interleaved
 *   rounds (medians of 3 after a warm-up round):
 *     - the gateway's Arrow download: `export(format: ARROW)` once, then the signed URL fetched by
 *       curl (a process of its own) and read to the end; time to first byte and total time;
 *     - the gateway's Parquet download, the same way (for comparison);
 *     - DuckDB (@duckdb/node-api, in this process) writing the same rows from the same Parquet
 *       files to a Parquet file directly (COPY … TO … (FORMAT parquet)): the yardstick.
 *   Goal: the Arrow download ≤ 1.5 × DuckDB's direct write; time to first byte under 1 s.
 *   The warm-up round's Arrow download is kept and read by pyarrow.ipc.open_stream (row count and
 *   id sum checked against the table).
 *
 * Writes bench/results/exports-latest.md and .json.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { runPython } from '../test/support/python.js';
import { table as mdTable, notesAndErrors, writeReportFiles } from './markdown.js';
import { machine } from './report.js';
import type { Summary } from './stats.js';
import type { SuiteRunOptions } from './suite.js';
import { createTable, namespace } from './tables-scenarios.js';
import { BenchGateway, interleaved, writeReadings } from './tables-support.js';

const execFileAsync = promisify(execFile);

const TABLE = 'bench.readings';
const GOAL_RATIO = 1.5;
const GOAL_TTFB_MS = 1000;

interface Download {
  ttfbMs: number;
  totalMs: number;
  bytes: number;
}

/** GET url with curl (its own process), body to `out`: time to first byte, total time, size. */
async function curl(url: string, out: string): Promise<Download> {
  const { stdout } = await execFileAsync('curl', ['-sS', '--fail', '-o', out, '-w', '%{time_starttransfer} %{time_total} %{size_download}', url], { maxBuffer: 1024 * 1024 });
  const [ttfb, total, size] = stdout.trim().split(' ').map(Number);
  return { ttfbMs: ttfb! * 1000, totalMs: total! * 1000, bytes: size! };
}

export async function runExportsBench(opts: SuiteRunOptions): Promise<string[]> {
  const { progress } = opts;
  const rows = opts.quick ? 1_000_000 : 10_000_000;
  const files = 10;
  const warmup = 1;
  const iterations = 3;
  const errors: string[] = [];
  const notes: string[] = [];
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const dir = await opts.tempDir('cascade-bench-exports-');
  const g = await BenchGateway.start();
  opts.cleanups.push(() => g.stop());
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    progress(`exports: building ${rows.toLocaleString('en-US')} rows in ${files} uploads`);
    await namespace(g, 'bench');
    await createTable(g, TABLE);
    const inputs: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < files; i++) {
      const file = path.join(dir, `in-${i}.parquet`);
      await writeReadings(conn, file, (i * rows) / files, rows / files);
      inputs.push(file);
      await g.appendFile('main', TABLE, file);
    }
    const buildSeconds = (performance.now() - t0) / 1000;
    const inputBytes = (await Promise.all(inputs.map((f) => fs.stat(f)))).reduce((n, s) => n + s.size, 0);

    const link = async (format: string) =>
      (await g.data(`{ export(ref: "main", table: "${TABLE}", format: ${format}, expiresInSeconds: 3600) { url commitHash snapshotId } }`)).export as { url: string };
    const arrowUrl = `${g.url}${(await link('ARROW')).url}`;
    const parquetUrl = `${g.url}${(await link('PARQUET')).url}`;
    const fileList = `[${inputs.map((f) => `'${f}'`).join(', ')}]`;

    const downloads: Record<string, Download[]> = { arrow: [], parquet: [] };
    let duckBytes = 0;
    let checked = false;
    const results = await interleaved(
      [
        {
          name: 'gateway Arrow download',
          run: async (round) => {
            const out = round === 0 ? path.join(dir, 'first.arrows') : '/dev/null';
            const d = await curl(arrowUrl, out);
            if (round >= warmup) downloads.arrow!.push(d);
            if (round === 0) {
              const counted = JSON.parse(
                await runPython(
                  `import sys, json, pyarrow.ipc as ipc, pyarrow.compute as pc
t = ipc.open_stream(open(sys.argv[1], 'rb')).read_all()
print(json.dumps({'rows': t.num_rows, 'ids': str(pc.sum(t['id']).as_py()), 'schema': [[f.name, str(f.type)] for f in t.schema]}))`,
                  [out],
                  { timeoutMs: 600_000 },
                ),
              );
              const wantIds = String((BigInt(rows) * BigInt(rows - 1)) / 2n);
              if (counted.rows !== rows || counted.ids !== wantIds) errors.push(`the Arrow download read by pyarrow has ${counted.rows} rows, id sum ${counted.ids} (want ${rows}, ${wantIds})`);
              else checked = true;
              notes.push(`Arrow schema as pyarrow reads it: ${counted.schema.map((f: string[]) => `${f[0]} ${f[1]}`).join(', ')}.`);
              await fs.rm(out, { force: true });
            }
          },
        },
        {
          name: 'gateway Parquet download',
          run: async (round) => {
            const d = await curl(parquetUrl, '/dev/null');
            if (round >= warmup) downloads.parquet!.push(d);
          },
        },
        {
          name: 'DuckDB COPY to Parquet (direct)',
          run: async () => {
            const out = path.join(dir, 'direct.parquet');
            await conn.run(`COPY (SELECT * FROM read_parquet(${fileList})) TO '${out}' (FORMAT parquet)`);
            duckBytes = (await fs.stat(out)).size;
            await fs.rm(out, { force: true });
          },
        },
      ],
      warmup,
      iterations,
      (done, total) => progress(`exports: round ${done}/${total}`),
    );
    const med = (name: string) => results.get(name)!.medianMs;
    const ratio = med('gateway Arrow download') / med('DuckDB COPY to Parquet (direct)');
    const ttfb = downloads.arrow!.map((d) => d.ttfbMs).sort((a, b) => a - b);
    const ttfbMedian = ttfb[Math.floor(ttfb.length / 2)]!;
    const ttfbMax = ttfb.at(-1)!;
    if (ratio > GOAL_RATIO) notes.push(`GOAL MISSED: the Arrow download took ${ratio.toFixed(2)} × DuckDB's direct write (goal ≤ ${GOAL_RATIO}).`);
    if (ttfbMax >= GOAL_TTFB_MS) notes.push(`GOAL MISSED: time to first byte up to ${ttfbMax.toFixed(0)} ms (goal < ${GOAL_TTFB_MS} ms).`);

    const loadEnd = os.loadavg()[0] ?? 0;
    const report = {
      startedAt: startedAt.toISOString(),
      machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: loadEnd },
      rows,
      inputFiles: files,
      inputBytes,
      buildSeconds,
      iterations,
      warmup,
      results: Object.fromEntries(results),
      downloads,
      duckDbParquetBytes: duckBytes,
      ratio,
      goalRatio: GOAL_RATIO,
      ttfbMedianMs: ttfbMedian,
      ttfbMaxMs: ttfbMax,
      goalTtfbMs: GOAL_TTFB_MS,
      pyarrowChecked: checked,
    };
    const fmt = (s: Summary) => [`${(s.medianMs / 1000).toFixed(2)} s`, `${(s.minMs / 1000).toFixed(2)} s`, `${(s.maxMs / 1000).toFixed(2)} s`];
    const bytesOf = (name: string) =>
      name.includes('Arrow') ? downloads.arrow![0]?.bytes ?? 0 : name.includes('Parquet download') ? downloads.parquet![0]?.bytes ?? 0 : duckBytes;
    const md: string[] = [
      `# Exports benchmark (${rows.toLocaleString('en-US')} rows)`,
      '',
      `Run ${startedAt.toISOString()} on ${report.machine.cpus} × ${report.machine.cpuModel}, load ${loadStart.toFixed(2)} → ${loadEnd.toFixed(2)}. ` +
        `The table: ${files} appendRows uploads of Parquet files DuckDB wrote (${(inputBytes / 2 ** 20).toFixed(1)} MiB; built in ${buildSeconds.toFixed(0)} s). ` +
        `Interleaved rounds: ${warmup} warm-up, then ${iterations} measured; medians.`,
      '',
      mdTable(
        ['contender', 'median', 'min', 'max', 'bytes'],
        [...results].map(([name, s]) => [name, ...fmt(s), `${(bytesOf(name) / 2 ** 20).toFixed(1)} MiB`]),
        ['l', 'r', 'r', 'r', 'r'],
      ),
      '',
      `**Arrow download / DuckDB direct Parquet write: ${ratio.toFixed(2)} ×** (goal ≤ ${GOAL_RATIO}). ` +
        `**Time to first byte of the Arrow download: median ${ttfbMedian.toFixed(0)} ms, max ${ttfbMax.toFixed(0)} ms** (goal < ${GOAL_TTFB_MS} ms). ` +
        `Parquet download time to first byte: median ${(downloads.parquet!.map((d) => d.ttfbMs).sort((a, b) => a - b)[1] ?? 0).toFixed(0)} ms.`,
      '',
      `The warm-up Arrow download was read by pyarrow.ipc.open_stream: ${checked ? 'row count and id sum match the table' : 'NOT checked (see errors)'}.`,
    ];
    notes.push(
      'One process holds the gateway (DuckDB inside it) and the DuckDB yardstick; the downloads are read by curl in a process of its own (to /dev/null), so the client does not compete with the gateway for the event loop. The machine has 2 cores.',
      "The gateway's Arrow stream is built in JS from DuckDB's result chunks (fixed-width columns copied as bytes, strings byte by byte) on the gateway's event loop; DuckDB's COPY writes Parquet on its own threads.",
    );
    notesAndErrors(md, notes, errors);
    const written = await writeReportFiles(opts.outDir, 'exports-latest', md.join('\n'), { ...report, notes, errors });
    process.stdout.write(`${md.join('\n')}\n`);
    progress(`exports: wrote ${written.md}`);
  } catch (e) {
    errors.push((e as Error).stack ?? String(e));
  } finally {
    conn.closeSync();
    db.closeSync();
    await g.stop();
  }
  return errors;
}
