/**
 * A stream of a finished local file that nobody writes again (Parquet the engine staged, an upload
 * kept as a data file), marked so a local ObjectStore may hard-link it instead of copying its bytes.
 * The caller may still read or delete the file; it must not change it.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import { UNCHANGING_FILE } from '../ports/object-store.js';

export function unchangingFile(path: string): ReadStream {
  const stream = Object.assign(createReadStream(path, { highWaterMark: 1 << 20 }), { [UNCHANGING_FILE]: true });
  // The stream opens its file on the libuv thread pool. A local store links the file and destroys the
  // stream unread, and the caller then removes its staging folder: on a loaded machine that open can
  // run after the removal and fail with ENOENT, an 'error' nobody listens to, which would end the
  // process (seen in CI). A consumer that reads the stream gets its errors through its own listener.
  stream.on('error', () => {});
  return stream;
}
