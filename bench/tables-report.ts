import { notesAndErrors, table, writeReportFiles } from './markdown.js';
/**
 * The tables benchmark's report: ratios against the peers (median, p95, ratio, goal), the listing
 * latencies with backend call counts, as Markdown (printed, bench/results/tables-latest.md) and
 * JSON (bench/results/tables-latest.json). The catalog benchmark keeps latest.md / latest.json.
 */
import { machine } from './report.js';
import { summarize } from './stats.js';
import { callRanges, type Breakdown, type CallRange, type ParquetFacts } from './tables-support.js';
import type { AggregateResult, AppendResult, Comparison, HistoryResult, ListingResult, TablesSizes } from './tables-scenarios.js';

export interface TablesReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: TablesSizes['mode'];
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number };
  sizes: TablesSizes;
  versionStore: string;
  aggregate: AggregateResult | null;
  append: AppendResult | null;
  history: HistoryResult | null;
  listing: ListingResult | null;
  notes: string[];
  errors: string[];
}

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–');
const int = (x: number) => x.toLocaleString('en-US');
const yesNo = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : '**NO**');

/** `VersionStore.getContents 1, ObjectStore.read 0–100` and per-port totals. */
export function formatCalls(calls: Record<string, CallRange>): string {
  const entries = Object.entries(calls).filter(([k]) => !k.endsWith('!error') && !k.endsWith('@ms'));
  if (entries.length === 0) return 'none';
  const range = (r: CallRange) => (r.min === r.max ? String(r.min) : `${r.min}–${r.max}`);
  const errors = Object.entries(calls).filter(([k]) => k.endsWith('!error'));
  return entries.map(([k, r]) => `${k} ${range(r)}`).join(', ') + (errors.length ? ` (errors: ${errors.map(([k, r]) => `${k.replace('!error', '')} ${range(r)}`).join(', ')})` : '');
}

export function totalCalls(calls: Record<string, CallRange>): string {
  const entries = Object.entries(calls).filter(([k]) => !k.endsWith('!error') && !k.endsWith('@ms'));
  const min = entries.reduce((n, [, r]) => n + r.min, 0);
  const max = entries.reduce((n, [, r]) => n + r.max, 0);
  return min === max ? String(min) : `${min}–${max}`;
}

/**
 * Profiled requests: median wall time, then per port method its calls and, for a method called once
 * per request (so its timer does not overlap others of its kind), the median time inside it.
 */
export function formatBreakdown(list: Breakdown[]): string {
  if (list.length === 0) return 'not profiled';
  const med = (xs: number[]) => summarize(xs).medianMs;
  const ranges = callRanges(list.map((b) => Object.fromEntries(Object.entries(b.calls).filter(([k]) => !k.endsWith('@ms') && !k.endsWith('!error')))));
  const parts = Object.entries(ranges)
    .map(([k, r]) => {
      const count = r.min === r.max ? String(r.min) : `${r.min}–${r.max}`;
      const time = r.max === 1 ? med(list.map((b) => b.calls[`${k}@ms`] ?? 0)) : null;
      return { k, text: `${k} ×${count}${time !== null ? ` ${ms(time)} ms` : ''}`, time: time ?? -1 };
    })
    .sort((a, b) => b.time - a.time);
  return `wall ${ms(med(list.map((b) => b.wallMs)))} ms (median of ${list.length}); ${parts.map((p) => p.text).join(', ')}`;
}

export function comparisons(r: TablesReport): Comparison[] {
  return [...(r.aggregate?.comparisons ?? []), ...(r.append?.comparisons ?? []), ...(r.history?.comparisons ?? [])];
}

export function toMarkdown(r: TablesReport): string {
  const out: string[] = [];
  out.push(`# Tables benchmark (${r.mode})`);
  out.push('');
  out.push(
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB · Node ${r.machine.node} · ${r.machine.platform} · load average ${r.machine.loadAvgStart.toFixed(1)} at start, ${r.machine.loadAvgEnd.toFixed(1)} at end`,
  );
  out.push('');
  out.push(`The real gateway (buildApp on ${r.versionStore}, local warehouse) on a loopback port, called over HTTP by one client, one call at a time; each scenario's calls alternate between the gateway and its peer. Ratio = gateway median / peer median (lower is better).`);
  const cmp = comparisons(r);
  if (cmp.length > 0) {
    out.push('');
    out.push('## Against peers');
    out.push('');
    out.push(
      table(
        ['benchmark', 'gateway', 'n', 'median ms', 'p95 ms', 'peer', 'n', 'median ms', 'p95 ms', 'ratio', 'goal', 'met'],
        cmp.map((c) => [
          c.label,
          c.subject.label,
          String(c.subject.summary.n),
          ms(c.subject.summary.medianMs),
          ms(c.subject.summary.p95Ms),
          c.peer.label,
          String(c.peer.summary.n),
          ms(c.peer.summary.medianMs),
          ms(c.peer.summary.p95Ms),
          `${c.ratio.toFixed(2)}×`,
          c.goal?.text ?? 'info',
          yesNo(c.met),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'l', 'l'],
      ),
    );
    out.push('');
    const misses = cmp.filter((c) => c.met === false);
    out.push(misses.length === 0 ? `All ratio goals met (${cmp.filter((c) => c.met).length} checked).` : `Ratio goals missed: ${misses.map((c) => `${c.label} (${c.ratio.toFixed(2)}×, goal ${c.goal!.text})`).join('; ')}.`);
    out.push('');
    out.push('What each timing includes:');
    out.push('');
    const seen = new Set<string>();
    for (const c of cmp) {
      for (const side of [c.subject, c.peer]) {
        const line = `- ${side.label}: ${side.includes}.`;
        if (!seen.has(line)) out.push(line);
        seen.add(line);
      }
    }
  }
  if (r.aggregate) {
    const a = r.aggregate;
    out.push('');
    out.push(
      `Aggregate: \`${'SELECT direction, count(*), avg(sgv), sum(sgv) … GROUP BY direction'}\` over ${int(a.rows)} rows in ${a.dataFiles} data files (${(a.dataBytes / 2 ** 20).toFixed(0)} MiB), ` +
        `built through appendRows with ${r.sizes.aggregate.files} Parquet uploads in ${a.buildSeconds.toFixed(0)} s (${int(Math.round(a.uploadRowsPerSec))} rows/s through the gateway). ` +
        `The gateway's own SqlResult.elapsedMs (sandbox start + query) has median ${ms(a.engineElapsedMedianMs)} ms.`,
    );
    out.push(`- one profiled gateway call: ${formatBreakdown([a.profile])}`);
  }
  if (r.append) {
    const a = r.append;
    out.push('');
    out.push(`Append: the same ${(a.inputBytes / 2 ** 20).toFixed(1)} MiB Parquet file (written by DuckDB) for both, a fresh table per call on both sides; ${a.pyiceberg}, SqlCatalog on SQLite with a local warehouse; pyarrow's read_table of the file: median ${ms(a.pyReadMedianMs)} ms.`);
    out.push(`- one profiled gateway call (an extra, untimed table): ${formatBreakdown([a.profile])}`);
    if (a.cpuMedianMs) {
      out.push(`- CPU time per call, median (every thread; less sensitive to other load than wall time): gateway process ${ms(a.cpuMedianMs.gateway)} ms, PyIceberg process ${ms(a.cpuMedianMs.pyiceberg)} ms in table.append (${(a.cpuMedianMs.gateway / a.cpuMedianMs.pyiceberg).toFixed(2)}×).`);
    }
    if (a.written) {
      const facts = (fs: ParquetFacts[]) =>
        fs.map((f) => `${(f.bytes / 2 ** 20).toFixed(1)} MiB, ${int(f.rows)} rows in ${f.rowGroups} row group(s), ${f.codecs.join('/')}, field ids ${f.fieldIds ? 'on every column' : 'missing'}, written by ${f.createdBy}`).join('; ');
      out.push(`- written (pyarrow reads the footers): gateway ${a.written.gateway.length} file(s): ${facts(a.written.gateway)}; PyIceberg ${a.written.pyiceberg.length} file(s): ${facts(a.written.pyiceberg)}; the input: ${facts([a.written.input])}.`);
    }
  }
  if (r.history) {
    const h = r.history;
    out.push('');
    out.push(
      `History: ${int(h.snapshots)} fast-append snapshots of ${int(h.files / h.snapshots)} files (${int(h.files)} files, ${int(h.rows)} rows), committed with the Iceberg layer (src/iceberg/table-writer.ts commitSnapshot) at ${h.commitsPerSec.toFixed(1)} snapshots/s ` +
        `(${h.buildSeconds.toFixed(0)} s) and registered with registerTable; the single table holds the same ${int(h.rows)} rows in one file. Cold: ${r.sizes.history.cold} sample(s) per table, each on a restarted gateway.`,
    );
    out.push(`- one rows(first: 100) on the ${int(h.files)}-file table, warm: ${formatBreakdown(h.profile.warm)}`);
    out.push(`- cold: ${formatBreakdown(h.profile.cold)}`);
  }
  if (r.listing) {
    const l = r.listing;
    out.push('');
    out.push('## Listing tables');
    out.push('');
    out.push(
      `\`{ branch(name: "main") { tables(first: N) { nodes { schema { fields { name } } currentSnapshot { totalRows } } } } }\` on a branch holding ${l.tables} tables (one namespace; each table created and appended to through GraphQL, ${l.buildSeconds.toFixed(0)} s). ` +
        `Cold = the first call on a freshly started gateway (same home; after a \`{ __typename }\` request), ${r.sizes.listing.cold} gateways per page size; warm = ${r.sizes.listing.warmup} warm-up + ${r.sizes.listing.iterations} measured calls, page sizes interleaved. ` +
        `Backend calls = cascade_backend_call_seconds_count from /metrics before/after one call (the range over the measured cold calls, and over 3 extra warm calls scraped outside the timings).`,
    );
    out.push('');
    const warm10 = (state: string) => l.rows.find((x) => x.state === state && x.pageSize === Math.min(...l.rows.map((y) => y.pageSize)));
    out.push(
      table(
        ['page size', 'state', 'n', 'median ms', 'p95 ms', 'growth vs smallest page', 'backend calls', 'by port.method'],
        l.rows.map((x) => {
          const base = warm10(x.state);
          return [
            String(x.pageSize),
            x.state,
            String(x.summary.n),
            ms(x.summary.medianMs),
            ms(x.summary.p95Ms),
            base && base !== x ? `${(x.summary.medianMs / base.summary.medianMs).toFixed(2)}×` : '–',
            totalCalls(x.calls),
            formatCalls(x.calls),
          ];
        }),
        ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
  }
  notesAndErrors(out, r.notes, r.errors);
  return out.join('\n');
}

export async function writeTablesReport(dir: string, r: TablesReport, name = 'tables-latest'): Promise<{ md: string; json: string }> {
  return writeReportFiles(dir, name, toMarkdown(r), r);
}
