/**
 * Tables of the embedded version store (PGlite or PostgreSQL), created by versioned, idempotent
 * migrations, and the bootstrap rows every store starts with: the empty tree, the no-ancestor
 * root commit and the default branch.
 *
 *   vs_refs        name pk, type BRANCH|TAG, hash           (the only mutable table)
 *   vs_commits     hash pk, parents[], first_parent, generation, commit_time, meta, operations, tree
 *   vs_tree_nodes  hash pk, data (canonical JSON of one HAMT node)
 *   vs_contents    hash pk, content_id, type, body (canonical JSON of the stored content)
 *
 * Every immutable row is inserted with ON CONFLICT DO NOTHING before (or in the same transaction as)
 * the ref move that makes it reachable, so a crash never leaves a ref on an incomplete commit.
 */
import { migrate, type Migration, type SqlDatabase } from '../../sql/database.js';
import { NO_ANCESTOR_HASH } from './hashing.js';
import { EMPTY_NODE_DATA, EMPTY_TREE } from './nodes.js';

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS vs_refs (
         name text PRIMARY KEY,
         type text NOT NULL CHECK (type IN ('BRANCH', 'TAG')),
         hash text NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now())`,
      `CREATE TABLE IF NOT EXISTS vs_commits (
         hash text PRIMARY KEY,
         parents text[] NOT NULL,
         first_parent text,
         generation integer NOT NULL,
         commit_time timestamptz NOT NULL,
         meta jsonb NOT NULL,
         operations jsonb NOT NULL,
         tree text NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS vs_tree_nodes (
         hash text PRIMARY KEY,
         data text NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS vs_contents (
         hash text PRIMARY KEY,
         content_id text NOT NULL,
         type text NOT NULL,
         body text NOT NULL)`,
      `CREATE INDEX IF NOT EXISTS vs_contents_content_id ON vs_contents (content_id)`,
    ],
  },
];

/** The no-ancestor root: an empty tree, no parents, generation 0, time 0. Not part of any log. */
export const ROOT_COMMIT_TIME = new Date(0);

export async function migrateVersionStore(db: SqlDatabase, defaultBranch: string): Promise<void> {
  await migrate(db, 'version-store', MIGRATIONS);
  await db.transaction(async (tx) => {
    await tx.query(`INSERT INTO vs_tree_nodes (hash, data) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [EMPTY_TREE, EMPTY_NODE_DATA]);
    await tx.query(
      `INSERT INTO vs_commits (hash, parents, first_parent, generation, commit_time, meta, operations, tree)
       VALUES ($1, '{}', NULL, 0, $2, $3::jsonb, '[]'::jsonb, $4) ON CONFLICT DO NOTHING`,
      [
        NO_ANCESTOR_HASH,
        ROOT_COMMIT_TIME.toISOString(),
        JSON.stringify({ message: '', author: '', authorTime: null, committer: null, properties: {} }),
        EMPTY_TREE,
      ],
    );
    await tx.query(`INSERT INTO vs_refs (name, type, hash) VALUES ($1, 'BRANCH', $2) ON CONFLICT DO NOTHING`, [
      defaultBranch,
      NO_ANCESTOR_HASH,
    ]);
  });
}
