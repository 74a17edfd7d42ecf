/**
 * One Trino Iceberg catalog per catalog commit the gateway reads at, and one per branch it writes
 * on. Trino's Iceberg connector reads one ref per catalog (Nessie's REST catalog at a prefix), and
 * has no per-query ref, so the gateway makes catalogs with `CREATE CATALOG` (Trino's dynamic catalog
 * management) over Nessie's REST catalog at `<ref>@<hash>`: a query then reads exactly the commit
 * the gateway resolved, whatever the branch does meanwhile. A catalog unused for `idleMs` is dropped.
 *
 * Several gateways may share one Trino: names come from the commit (or branch) alone, so they
 * share catalogs too; creating one that exists is fine, and a query that finds its catalog dropped
 * by another gateway recreates it once (see index.ts).
 */
import { createHash } from 'node:crypto';
import type { CommitHash, RefName } from '../../../domain/refs.js';
import type { TrinoSession } from './client.js';

export interface CatalogSettings {
  /** Name prefix (TRINO_CATALOG). */
  prefix: string;
  /** Properties of every catalog made here, less the REST prefix (TrinoConfig.catalogProperties). */
  properties: Record<string, string>;
  idleMs: number;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export class CommitCatalogs {
  private readonly made = new Map<string, { lastUsed: number; ready: Promise<void> }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly session: TrinoSession, private readonly settings: CatalogSettings) {
    this.sweeper = setInterval(() => void this.dropIdle(), Math.min(settings.idleMs, 60_000));
    this.sweeper.unref();
  }

  /** The catalog reading `hash` (through `ref`, which Nessie needs in the prefix). */
  atCommit(ref: RefName, hash: CommitHash): Promise<string> {
    return this.ensure(`${this.settings.prefix}_c_${hash.slice(0, 24).toLowerCase()}`, `${ref}@${hash}`);
  }

  /** The catalog writing on `branch` (its head, as it moves). */
  onBranch(branch: RefName): Promise<string> {
    const id = createHash('sha256').update(branch).digest('hex').slice(0, 24);
    return this.ensure(`${this.settings.prefix}_b_${id}`, branch);
  }

  /** Forgets a catalog another gateway dropped, so the next use makes it again. */
  forget(name: string): void {
    this.made.delete(name);
  }

  private async ensure(name: string, prefix: string): Promise<string> {
    let entry = this.made.get(name);
    if (!entry) {
      const props = { 'iceberg.rest-catalog.prefix': encodeURIComponent(prefix).replace(/%40/g, '@'), ...this.settings.properties };
      const withClause = Object.entries(props).map(([k, v]) => `"${k}" = ${sqlString(v)}`).join(', ');
      const ready = this.session
        .run(`CREATE CATALOG IF NOT EXISTS ${name} USING iceberg WITH (${withClause})`, { timeoutMs: 60_000 })
        .then(() => undefined);
      entry = { lastUsed: Date.now(), ready };
      this.made.set(name, entry);
      ready.catch(() => this.made.delete(name));
    }
    entry.lastUsed = Date.now();
    await entry.ready;
    return name;
  }

  private async dropIdle(): Promise<void> {
    const cutoff = Date.now() - this.settings.idleMs;
    for (const [name, entry] of this.made) {
      if (entry.lastUsed >= cutoff) continue;
      this.made.delete(name);
      await this.session.run(`DROP CATALOG IF EXISTS ${name}`, { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
