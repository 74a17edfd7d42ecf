/**
 * The real Iceberg tables under test/fixtures/iceberg (see its README for where each comes from), with the location
 * prefixes their writers recorded, mapped onto the folders here as LOCATION_ALIASES would map them.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const FIXTURES_DIR = path.join(repoRoot, 'test/fixtures/iceberg');

/** Folder name → the prefix its metadata records for the table location. */
export const FIXTURE_PREFIXES: Record<string, string> = {
  'duckdb-lineitem-iceberg': 'lineitem_iceberg/',
  'icebird-spark-bunnies': 's3a://hyperparam-iceberg/spark/bunnies/',
  'duckdb-legacy-v1': 'data/persistent/iceberg_v1_deprecated/default/legacy_v1/',
  'duckdb-equality-deletes': 'data/persistent/equality_deletes/warehouse/mydb/mytable/',
};

export function fixtureDir(name: string): string {
  const dir = path.join(FIXTURES_DIR, name);
  if (!existsSync(dir)) throw new Error(`Iceberg fixture ${name} not found at ${dir}`);
  return dir;
}

/** A local ObjectStore over a fresh temp warehouse, with every fixture prefix aliased onto its folder. */
export async function fixtureStore(): Promise<{ store: ObjectStore; warehouse: string; cleanup: () => Promise<void> }> {
  const warehouse = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-iceberg-'));
  const aliases = Object.entries(FIXTURE_PREFIXES).map(([name, prefix]) => ({ prefix, replacement: `${pathToFileURL(fixtureDir(name)).href}/` }));
  return { store: createLocalObjectStore(pathToFileURL(warehouse).href, aliases), warehouse, cleanup: () => fs.rm(warehouse, { recursive: true, force: true }) };
}
