import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { CONTRACT_ALIASES, describeObjectStore, MAIN_TEXT, SHADOW_TEXT, SHADOWED_TEXT } from './object-store.contract.js';

describeObjectStore('local', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-os-contract-'));
  await mkdir(join(dir, 'wh'));
  await mkdir(join(dir, 'main'));
  await writeFile(join(dir, 'main', 'a.txt'), MAIN_TEXT);
  await mkdir(join(dir, 'shadow', 'bunnies'), { recursive: true });
  await writeFile(join(dir, 'shadow', 'other.txt'), SHADOW_TEXT);
  await writeFile(join(dir, 'shadow', 'bunnies', 'a.txt'), SHADOWED_TEXT);
  await writeFile(join(dir, 'secret.txt'), 'no');
  const url = (p: string) => pathToFileURL(join(dir, p)).href;
  const store = createLocalObjectStore(url('wh'), [
    // One replacement without and one with a trailing slash: both forms are accepted.
    { prefix: CONTRACT_ALIASES.main[0], replacement: url('main') },
    { prefix: CONTRACT_ALIASES.main[1], replacement: `${url('main')}/` },
    { prefix: CONTRACT_ALIASES.shadow, replacement: `${url('shadow')}/` },
  ]);
  return {
    store,
    outside: [url('secret.txt'), join(dir, 'secret.txt'), '/etc/passwd', `file://${join(dir, 'wh')}/../secret.txt`],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});
