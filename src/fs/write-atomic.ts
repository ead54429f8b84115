import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Temporary files written but not yet renamed. A PT stopped by tor (SIGTERM, then process.exit)
 * while a state or replay file is being saved would otherwise leave `*.tmp-<pid>` files in the
 * state directory, one more on every such stop.
 */
const pending = new Set<string>();

let exitHookInstalled = false;

/** The temporary file beside `path` that a write goes through before its rename. */
function tmpPathOf(path: string): string {
  return `${path}.tmp-${process.pid}`;
}

function removePendingOnExit(): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone (renamed or never created): nothing to clean.
    }
  }
  pending.clear();
}

/**
 * Writes `data` to `path` (mode 0600) through a temporary file in the same directory and a
 * rename, so a reader never sees half a file and a crash leaves the old one intact. The
 * temporary file is removed when the write fails or the process exits before the rename.
 */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = tmpPathOf(path);
  if (!exitHookInstalled) {
    process.once('exit', removePendingOnExit);
    exitHookInstalled = true;
  }
  pending.add(tmp);
  try {
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    pending.delete(tmp);
  }
}

/**
 * writeFileAtomic with synchronous calls, for the few small files a PT writes while it starts
 * (obfs4_state.json, obfs4_bridgeline.txt): the promise API allocates a FileHandle and promise
 * chains per file, which measured ~0.55 MB of a managed bridge's start RSS in the obfs4 bundle
 * (allocation at start is a threshold: the same two writes measured ~50 kB in a larger build);
 * blocking for two small writes before tor hears SMETHODS DONE costs nothing. Nothing can exit
 * between its calls, so it needs no entry in `pending`.
 */
export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = tmpPathOf(path);
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
}
