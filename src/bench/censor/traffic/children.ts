import type { ChildProcess } from 'node:child_process';

/**
 * Every helper process the bench starts (tor, obfs4proxy), so that none outlives the bench: they
 * are killed when this process exits, even when a run is interrupted. The CLI turns SIGINT and
 * SIGTERM into an orderly exit so that this runs.
 */
const live = new Set<ChildProcess>();
let hooked = false;

export function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}
