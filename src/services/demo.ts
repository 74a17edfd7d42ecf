/**
 * Demo history for a fresh embedded home: branches main and dev, a feature branch merged into dev,
 * dev merged into main, a release tag, namespaces raw, bronze, silver, gold and marts with commits by
 * several authors, and real Iceberg tables (raw Nightscout entries → bronze → silver → gold → marts)
 * built on dev and published to main. Seeds only when the default branch has no commits yet. The
 * history is written on the version store directly (its commits carry the demo's authors), the
 * tables through the table and run services.
 */
import type { Logger } from '../logger.js';
import { namespaceContent } from '../domain/content.js';
import type { RefName } from '../domain/refs.js';
import type { Operation, VersionStore } from '../ports/version-store.js';
import type { Services } from './index.js';

/** The services the demo seeds through. */
type DemoServices = Pick<Services, 'tables' | 'runs'>;
import { seedDemoTables } from './demo-tables.js';
import { systemActor } from '../auth/actor.js';

const DEMO_DAYS = 3;
const DEMO_PIPELINE = 'glucose';

const LAYERS: Record<string, string> = {
  raw: 'Landing zone: Nightscout-style glucose entries as ingested',
  bronze: 'Typed, deduplicated staging tables',
  silver: 'Cleaned facts: glucose readings with categories and rolling averages',
  gold: 'Conformed dimensions (dates)',
  marts: 'Published marts served to dashboards',
};

export async function seedDemo(store: VersionStore, services: DemoServices, logger: Logger): Promise<boolean> {
  const main = await store.defaultBranch();
  const head = await store.getReference(main);
  if (head.hash !== store.noAncestorHash) return false;
  logger.info('seeding the demo history');

  const put = (key: string, props: Record<string, string>): Operation => ({ type: 'PUT', key, content: namespaceContent(key, props) });
  const update = async (branch: RefName, key: string, props: Record<string, string>): Promise<Operation> => {
    const ref = await store.getReference(branch);
    const current = await store.getContent(ref.hash, key);
    return { type: 'PUT', key, content: { ...namespaceContent(key, props), id: current?.id } };
  };

  await store.commit(main, undefined, { message: 'Create the lakehouse layers', author: 'alice@example.com' }, [
    ...Object.entries(LAYERS).map(([k, d]) => put(k, { description: d, owner: 'data-platform' })),
  ]);
  const dev = 'dev' as RefName;
  await store.createReference(dev, 'BRANCH', (await store.getReference(main)).hash);
  await store.commit(dev, undefined, { message: 'Add the Nightscout source namespace', author: 'ingest-bot', properties: { pipeline: 'nightscout_ingest' } }, [
    put('raw.nightscout', { description: 'Entries pulled from a Nightscout /api/v1/entries.json endpoint', source: 'nightscout' }),
  ]);

  const feature = 'feature/glucose-categories' as RefName;
  await store.createReference(feature, 'BRANCH', (await store.getReference(dev)).hash);
  await store.commit(feature, undefined, { message: 'Document glucose category thresholds', author: 'bob@example.com' }, [
    await update(feature, 'silver', { ...attrs('silver'), thresholds: 'Low < 70 mg/dL, Normal 70-180, High > 180' }),
  ]);
  await store.commit(feature, undefined, { message: 'Add the date dimension namespace', author: 'bob@example.com' }, [
    put('gold.calendar', { description: 'Calendar and date dimensions' }),
  ]);
  await store.commit(dev, undefined, { message: 'Describe the marts layer for dashboards', author: 'carol@example.com' }, [
    await update(dev, 'marts', { ...attrs('marts'), consumers: 'glucose-overview dashboard' }),
  ]);
  await mergeInto(store, feature, dev, 'Merge feature/glucose-categories into dev', 'alice@example.com');
  await store.commit(main, undefined, { message: 'Keep raw data for 400 days', author: 'dave@example.com' }, [
    await update(main, 'raw', { ...attrs('raw'), retention_days: '400' }),
  ]);
  await mergeInto(store, dev, main, 'Merge the lakehouse layers from dev', 'alice@example.com');
  await store.createReference('v1.0' as RefName, 'TAG', (await store.getReference(main)).hash);
  await store.commit(dev, undefined, { message: 'Document the bronze staging conventions', author: 'carol@example.com' }, [
    await update(dev, 'bronze', { ...attrs('bronze'), conventions: 'snake_case columns, one row per source record' }),
  ]);
  await buildGlucoseTables(store, services, logger, dev, main);
  await mergeInto(store, main, dev, 'Bring the published glucose tables into dev', 'carol@example.com');
  await store.commit(dev, undefined, { message: 'Start the next ingestion window', author: 'ingest-bot' }, [
    put('raw.staging', { description: 'Landing area for the next batch' }),
  ]);
  logger.info('demo history seeded');
  return true;
}

/**
 * The glucose tables come from the `glucose` pipeline: one run that passes its audits and merges
 * into main, then one with injected null readings that fails the not_null audit and leaves main
 * untouched, so GraphiQL shows runs, events, audits and WAP branches. Without the pipeline file
 * (another PIPELINES_DIR) the tables are built directly on dev and merged.
 */
async function buildGlucoseTables(store: VersionStore, services: DemoServices, logger: Logger, dev: RefName, main: RefName): Promise<void> {
  if (!services.runs.pipelines.get(DEMO_PIPELINE)) {
    logger.warn({ dir: services.runs.pipelines.dir }, `the demo pipeline '${DEMO_PIPELINE}' is not in the pipelines folder; building the demo tables without a run`);
    await seedDemoTables(services.tables, dev, DEMO_DAYS);
    await mergeInto(store, dev, main, 'Publish dev to main after audits passed', 'alice@example.com');
    return;
  }
  const actor = systemActor('alice@example.com');
  const good = await services.runs.startRun({ pipeline: DEMO_PIPELINE, params: { days: 14, badReadings: 0 }, target: main }, actor);
  const ok = await waitForRun(services, good.runId);
  logger.info({ runId: ok.runId, status: ok.status, error: ok.error }, 'demo run finished');
  const bad = await services.runs.startRun({ pipeline: DEMO_PIPELINE, params: { days: 1, badReadings: 5 }, target: main }, actor);
  const failed = await waitForRun(services, bad.runId);
  logger.info({ runId: failed.runId, status: failed.status }, 'demo run with bad readings finished (its audit fails by design)');
}

async function waitForRun(services: DemoServices, runId: string, timeoutMs = 600_000) {
  const actor = systemActor('demo');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const run = await services.runs.run(runId, actor);
    if (run && (run.status === 'SUCCEEDED' || run.status === 'FAILED' || run.status === 'CANCELED')) return run;
    if (Date.now() > until) throw new Error(`demo run ${runId} did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function attrs(layer: string): Record<string, string> {
  return { description: LAYERS[layer]!, owner: 'data-platform' };
}

async function mergeInto(store: VersionStore, from: RefName, into: RefName, message: string, author: string) {
  const source = await store.getReference(from);
  const target = await store.getReference(into);
  await store.merge({ fromHash: source.hash, fromRefName: from, into, expectedHash: target.hash, meta: { message, author } });
}
