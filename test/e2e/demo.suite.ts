/**
 * The demo: what a user sees on first open of GraphiQL, built by a WAP run of the glucose pipeline
 * merged into main. Shared by every storage setup (demo.test.ts: the embedded default; demo-s3.test.ts:
 * the warehouse on S3); `more` adds a setup's own checks on the same gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';

export interface DemoSuiteOptions {
  /** The gateway's environment beyond CASCADE_DEMO (resolved once; a restart gets the same). */
  env?: () => Record<string, string> | Promise<Record<string, string>>;
  /** More tests on the same gateway (`gateway()` is the one running now). */
  more?: (gateway: () => Gateway) => void;
}

export function describeDemoE2E(name: string, opts: DemoSuiteOptions = {}): void {
  describe(name, () => {
    let g: Gateway;
    let env: Record<string, string> = {};
    beforeAll(async () => {
      env = (await opts.env?.()) ?? {};
      g = await startGateway({ ...env, CASCADE_DEMO: '1' });
    }, 300_000);
    afterAll(async () => g?.stop());

    it('answers the README query from the demo history', async () => {
      const d = await g.data(`{ defaultBranch { name hash log(first: 5) { nodes { message author } } } }`);
      expect(d.defaultBranch.name).toBe('main');
      expect(d.defaultBranch.hash).toMatch(/^[0-9a-f]{64}$/);
      const log = d.defaultBranch.log.nodes;
      expect(log.length).toBeGreaterThanOrEqual(2);
      expect(log[0].message).toMatch(/^Publish run [0-9a-f-]{36} of pipeline glucose$/);
      expect(log[0].author).toBe('alice@example.com');
      expect(log.at(-1)).toEqual({ message: 'Create the lakehouse layers', author: 'alice@example.com' });
    });

    it('has branches main and dev, a tag, the five layers and a merged feature branch', async () => {
      const d = await g.data(`{
        references { nodes { __typename name } }
        defaultBranch { entries { nodes { key contentType } } head { parentHashes } }
        dev: branch(name: "dev") { aheadBehind(base: "main") { ahead behind } }
      }`);
      const names = d.references.nodes.map((n: any) => `${n.__typename}:${n.name}`);
      expect(names).toEqual(expect.arrayContaining(['Branch:main', 'Branch:dev', 'Branch:feature/glucose-categories', 'Tag:v1.0']));
      const keys = d.defaultBranch.entries.nodes.map((e: any) => e.key);
      expect(keys).toEqual(expect.arrayContaining(['raw', 'bronze', 'silver', 'gold', 'marts', 'raw.nightscout', 'gold.calendar']));
      expect(d.defaultBranch.head.parentHashes).toHaveLength(2); // a merge commit
      expect(d.dev.aheadBehind).toEqual({ ahead: 3, behind: 0 });
    });

    it('holds the glucose tables built by a WAP run of the glucose pipeline and published to main', async () => {
      const d = await g.data(`{
        defaultBranch { tables(first: 50) { nodes { namespace name currentSnapshot { totalRows } } } }
        raw: table(name: "raw.entries") { snapshots { nodes { operation addedRows } } schema { fields { name type } } }
        mart: table(name: "marts.mrt_glucose_overview") { rows(orderBy: [{ column: "reading_date" }], first: 100) { rows } }
        cats: sql(ref: "main", query: "SELECT glucose_category, count(*) AS n FROM silver.fct_glucose_readings GROUP BY 1 ORDER BY 1") { rows }
      }`);
      const names = d.defaultBranch.tables.nodes.map((t: any) => `${t.namespace}.${t.name}`);
      expect(names).toEqual(['bronze.stg_entries', 'gold.dim_date', 'marts.mrt_glucose_overview', 'raw.entries', 'silver.fct_glucose_readings']);
      // One append per day of the 14 ingested.
      expect(d.raw.snapshots.nodes).toHaveLength(14);
      expect(d.raw.snapshots.nodes.every((s: any) => s.operation === 'append' && s.addedRows === '288')).toBe(true);
      expect(d.raw.schema.fields.map((f: any) => f.name)).toEqual(['type', 'sgv', 'date', 'dateString', 'direction', 'device']);
      const mart = d.mart.rows.rows;
      expect(mart).toHaveLength(14);
      expect(mart[0].reading_date).toBe('2026-11-01');
      for (const r of mart) {
        expect(r.reading_count).toBe('288');
        expect(r.pct_low + r.pct_in_range + r.pct_high).toBeCloseTo(100, 0);
      }
      expect(d.cats.rows.map((r: any) => r[0])).toEqual(['High', 'Low', 'Normal']);
    });

    it('shows a passing run merged into main and a run with bad readings that failed its audit and left main alone', async () => {
      const d = await g.data(`{
        defaultBranch { hash }
        runs(pipeline: "glucose") { nodes { runId status params branch mergedHash error
          audits { name passed failingRows } events { type } } }
        pipeline(name: "glucose") { steps { name kind } lastRun { status } }
      }`);
      const [bad, good] = d.runs.nodes;
      expect(good.status).toBe('SUCCEEDED');
      expect(good.mergedHash).toBe(d.defaultBranch.hash);
      expect(good.audits.every((a: any) => a.passed)).toBe(true);
      expect(bad.status).toBe('FAILED');
      expect(bad.params).toMatchObject({ badReadings: 5 });
      expect(bad.audits.find((a: any) => a.name === 'sgv_not_null')).toEqual({ name: 'sgv_not_null', passed: false, failingRows: '5' });
      expect(bad.events.at(-1).type).toBe('RUN_FAILED');
      expect(d.pipeline.lastRun.status).toBe('FAILED');
      // The passing run published the mart to the database; GraphiQL shows its typed field.
      const mart = await g.data(`{ mart(name: "mrt_glucose_overview") { rowCount publishedFrom { ref commitHash } }
        mrtGlucoseOverview(orderBy: [{ reading_date: DESC }], first: 1) { nodes { reading_date reading_count } } }`);
      expect(mart.mart).toEqual({ rowCount: '14', publishedFrom: { ref: 'main', commitHash: good.mergedHash } });
      expect(mart.mrtGlucoseOverview.nodes).toEqual([{ reading_date: '2026-11-14', reading_count: '288' }]);
      // The failed run's branch keeps the bad readings for inspection.
      const onBranch = await g.data(`query($r: String!) { sql(ref: $r, query: "SELECT count(*) FROM raw.entries WHERE sgv IS NULL") { rows } }`, { r: bad.branch });
      expect(onBranch.sql.rows).toEqual([['5']]);
    });

    it('does not seed twice on restart of the same home', async () => {
      const before = await g.data(`{ references { nodes { name hash } } }`);
      await g.app.stop();
      g = await startGateway({ ...env, CASCADE_DEMO: '1', CASCADE_HOME: g.home });
      expect(await g.data(`{ references { nodes { name hash } } }`)).toEqual(before);
    });

    opts.more?.(() => g);
  });
}
