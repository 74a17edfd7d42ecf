/**
 * References: one row per name (a name is either a branch or a tag), moved only by
 * compare-and-swap. The default branch cannot be deleted.
 */
import { AlreadyExists, InvalidInput, NotFound, ReferenceConflict } from '../../../domain/errors.js';
import type { CommitHash, RefName, ReferenceType } from '../../../domain/refs.js';
import type { Page, PageRequest, Reference } from '../../../ports/version-store.js';
import { commitOrNotFound, pageSize } from './log.js';
import type { RefRow, Repo } from './repo.js';

export function toReference(r: RefRow): Reference {
  return { name: r.name as RefName, type: r.type, hash: r.hash as CommitHash };
}

function checkType(type: ReferenceType): void {
  if (type !== 'BRANCH' && type !== 'TAG') throw new InvalidInput('reference type must be BRANCH or TAG', 'type');
}

export async function getReference(repo: Repo, name: string): Promise<Reference> {
  const r = await repo.ref(name);
  if (!r) throw new NotFound(`reference '${name}' not found`);
  return toReference(r);
}

/** A reference of the given type, or NotFound (a tag is not found when a branch is asked for). */
export async function typedRef(repo: Repo, name: string, type: ReferenceType): Promise<RefRow> {
  const r = await repo.ref(name);
  if (!r || r.type !== type) throw new NotFound(`${type === 'BRANCH' ? 'branch' : 'tag'} '${name}' not found`);
  return r;
}

export async function listReferences(
  repo: Repo,
  q: PageRequest & { type?: ReferenceType; nameStartsWith?: string },
): Promise<Page<Reference>> {
  const first = pageSize(q);
  if (q.type !== undefined && q.type !== null) checkType(q.type);
  const r = await repo.db.query<RefRow>(
    `SELECT name, type, hash FROM vs_refs
      WHERE ($1::text IS NULL OR name COLLATE "C" > $1::text)
        AND ($2::text IS NULL OR type = $2::text)
        AND ($3::text IS NULL OR left(name, length($3::text)) = $3::text)
      ORDER BY name COLLATE "C" LIMIT $4`,
    [q.after ?? null, q.type ?? null, q.nameStartsWith || null, first + 1],
  );
  const items = r.rows.slice(0, first).map(toReference);
  return { items, nextCursor: r.rows.length > first ? items[items.length - 1]!.name : null };
}

export async function createReference(repo: Repo, name: string, type: ReferenceType, hash: string): Promise<Reference> {
  checkType(type);
  await commitOrNotFound(repo, hash);
  const r = await repo.db.query(`INSERT INTO vs_refs (name, type, hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [name, type, hash]);
  if (r.rowCount !== 1) throw new AlreadyExists(`reference '${name}' already exists`);
  return { name: name as RefName, type, hash: hash as CommitHash };
}

export async function deleteReference(
  repo: Repo,
  defaultBranch: string,
  name: string,
  type: ReferenceType,
  expectedHash?: string,
): Promise<Reference> {
  checkType(type);
  const cur = await typedRef(repo, name, type);
  if (type === 'BRANCH' && name === defaultBranch) throw new InvalidInput('cannot delete the default branch', 'name');
  const r = await repo.db.query<RefRow>(
    `DELETE FROM vs_refs WHERE name = $1 AND type = $2 AND ($3::text IS NULL OR hash = $3::text) RETURNING name, type, hash`,
    [name, type, expectedHash ?? null],
  );
  const row = r.rows[0];
  if (row) return toReference(row);
  const now = await repo.ref(name);
  if (!now || now.type !== type) throw new NotFound(`${type === 'BRANCH' ? 'branch' : 'tag'} '${name}' not found`);
  throw new ReferenceConflict(`reference '${name}' is at ${now.hash}, expected ${expectedHash ?? cur.hash}`, expectedHash ?? cur.hash, now.hash);
}

export async function assignReference(
  repo: Repo,
  name: string,
  type: ReferenceType,
  hash: string,
  expectedHash?: string,
): Promise<Reference> {
  checkType(type);
  const cur = await typedRef(repo, name, type);
  await commitOrNotFound(repo, hash);
  const r = await repo.db.query(
    `UPDATE vs_refs SET hash = $3, updated_at = now() WHERE name = $1 AND type = $2 AND ($4::text IS NULL OR hash = $4::text)`,
    [name, type, hash, expectedHash ?? null],
  );
  if (r.rowCount === 1) return { name: name as RefName, type, hash: hash as CommitHash };
  const now = await repo.ref(name);
  if (!now || now.type !== type) throw new NotFound(`${type === 'BRANCH' ? 'branch' : 'tag'} '${name}' not found`);
  throw new ReferenceConflict(`reference '${name}' is at ${now.hash}, expected ${expectedHash ?? cur.hash}`, expectedHash ?? cur.hash, now.hash);
}
