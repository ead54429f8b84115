/**
 * `--workers N|auto`: how many worker processes a server runs (`auto`: one per core this
 * process may use). 1 means no workers: the one process does everything, as without the flag.
 */
import { availableParallelism } from 'node:os';

/** The largest count accepted: more workers than this only cost memory. */
export const MAX_WORKERS = 64;

/** @returns the count, or an error message for one clear line. */
export function parseWorkers(value: string): number | { error: string } {
  const v = value.trim().toLowerCase();
  if (v === 'auto') return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
  if (!/^-?\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_WORKERS) {
    return {
      error: `--workers ${JSON.stringify(value)}: expected a number of worker processes from 1 to ${MAX_WORKERS}, or "auto" (one per core)`,
    };
  }
  return Number(v);
}

/**
 * Transports whose server keeps replay state the workers cannot share yet (ScrambleSuit's
 * UniformDH and session-ticket filters): in a worker each process would keep a filter of its
 * own, and a replay sent to another worker would be accepted. They are served by the primary.
 */
const PRIMARY_ONLY: ReadonlySet<string> = new Set(['scramblesuit']);

/** True when connections of this transport may be handed to worker processes. */
export function servesInWorkers(transport: string): boolean {
  return !PRIMARY_ONLY.has(transport);
}
