/**
 * Timing and statistics for the benchmarks: run an operation a few times to warm up, then a fixed
 * number of measured times, one at a time (a single client), and summarise the wall-clock samples.
 * `prepare` runs untimed before each iteration (fixtures such as a fresh branch to merge).
 */
import { performance } from 'node:perf_hooks';

export interface Summary {
  /** Measured iterations. */
  n: number;
  medianMs: number;
  /** Nearest-rank 95th percentile. */
  p95Ms: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Sequential throughput of one client: 1000 / mean. */
  opsPerSec: number;
}

export interface MeasureOptions<P> {
  warmup: number;
  iterations: number;
  /** Untimed work before iteration `i` (i counts warm-up iterations too, so names stay unique). */
  prepare?: (i: number) => Promise<P>;
  /** The timed operation. */
  run: (i: number, prepared: P) => Promise<unknown>;
  /** Called after each measured iteration with its index (progress lines for slow operations). */
  onProgress?: (done: number, total: number) => void;
}

export async function measure<P = undefined>(opts: MeasureOptions<P>): Promise<number[]> {
  const samples: number[] = [];
  const total = opts.warmup + opts.iterations;
  for (let i = 0; i < total; i++) {
    const prepared = opts.prepare ? await opts.prepare(i) : (undefined as P);
    const t0 = performance.now();
    await opts.run(i, prepared);
    const ms = performance.now() - t0;
    if (i >= opts.warmup) {
      samples.push(ms);
      opts.onProgress?.(samples.length, opts.iterations);
    }
  }
  return samples;
}

/** Nearest-rank percentile of sorted samples (p in 0..100). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function median(sorted: number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    medianMs: median(sorted),
    p95Ms: percentile(sorted, 95),
    meanMs: mean,
    minMs: sorted[0] ?? Number.NaN,
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    opsPerSec: mean > 0 ? 1000 / mean : Number.NaN,
  };
}

/** Elapsed milliseconds since `t0` (a performance.now() value). */
export function since(t0: number): number {
  return performance.now() - t0;
}

export const now = (): number => performance.now();

/** A small deterministic PRNG (mulberry32) so every backend reads the same keys in the same order. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
