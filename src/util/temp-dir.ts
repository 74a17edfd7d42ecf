/** Private temporary folders for local files the gateway handles itself (uploads, input spooled from a request). */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the folder and everything in it. */
  cleanup: () => Promise<void>;
}

/** A fresh folder `<parent>/<prefix><random>` (parent made if missing; default the OS temp folder). */
export async function makeTempDir(prefix: string, parent: string = tmpdir()): Promise<TempDir> {
  await mkdir(parent, { recursive: true });
  const path = await mkdtemp(join(parent, prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
