import { rename, writeFile } from 'node:fs/promises';

/**
 * Writes `data` to `path` (mode 0600) through a temporary file in the same directory and a
 * rename, so a reader never sees half a file and a crash leaves the old one intact.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
}
