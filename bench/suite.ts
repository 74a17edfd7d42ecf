/** What bench/run.ts hands every suite. */
export interface SuiteRunOptions {
  quick: boolean;
  outDir: string;
  progress: (line: string) => void;
  tempDir: (prefix: string) => Promise<string>;
  /** Cleanups of the caller, run on exit or signal (a suite also cleans up after itself). */
  cleanups: (() => Promise<unknown>)[];
}
