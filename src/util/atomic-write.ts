/** Writing a cache file so that a reader, in this process or another, sees all of it or none. */
import { randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';

/** Writes `content` beside `path` under a unique name, then renames it into place. */
export async function writeFileAtomically(path: string, content: string | Uint8Array): Promise<void> {
  const staging = `${path}.${randomUUID()}.tmp`;
  await writeFile(staging, content);
  await rename(staging, path);
}
