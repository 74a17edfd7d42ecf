/**
 * A stream of a finished local file that nobody writes again (Parquet the engine staged, an upload
 * kept as a data file), marked so a local ObjectStore may hard-link it instead of copying its bytes.
 * The caller may still read or delete the file; it must not change it.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { UNCHANGING_FILE } from '../ports/object-store.js';

export function unchangingFile(path: string): ReadStream {
  return Object.assign(createReadStream(path, { highWaterMark: 1 << 20 }), { [UNCHANGING_FILE]: true });
}
