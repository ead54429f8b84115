/**
 * The server's replay filter, kept across restarts in `obfs4_replay.json` beside the identity.
 *
 * obfs4proxy keeps its filter in memory only, so a handshake recorded shortly before a restart
 * is answered again afterwards: a prober who can make a bridge restart, or who waits for one,
 * confirms the bridge (censors.md §6.3). steppe saves the filter shortly after each accepted
 * handshake (debounced) and when the server closes. A crash can lose the last few seconds of
 * entries; a missing or unreadable file starts an empty filter, as obfs4proxy always does.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReplayFilter, type ReplayFilterSnapshot } from '../../crypto/replay-filter.js';
import { writeFileAtomic } from '../../fs/write-atomic.js';

export const REPLAY_FILE = 'obfs4_replay.json';
const SAVE_DELAY_MS = 2_000;

export class ReplayStore {
  readonly #path: string;
  readonly #filterOpts: { ttlMs?: number };
  /**
   * The filter read from the file, or null until the first handshake makes a fresh one: a fresh
   * filter draws its SipHash key from the OS generator, and a bridge tor starts should not load
   * node:crypto before anyone connects.
   */
  #filter: ReplayFilter | null;
  #timer: NodeJS.Timeout | null = null;
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string, filter: ReplayFilter | null, filterOpts: { ttlMs?: number }) {
    this.#path = path;
    this.#filter = filter;
    this.#filterOpts = filterOpts;
  }

  /**
   * Opens `file` (default obfs4_replay.json) in `stateDir`. Other transports reuse the store with
   * their own file and TTL (ScrambleSuit: handshake MACs and redeemed tickets).
   */
  static async open(
    stateDir: string,
    nowMs: number,
    opts: { file?: string; ttlMs?: number } = {},
  ): Promise<ReplayStore> {
    const path = join(stateDir, opts.file ?? REPLAY_FILE);
    const filterOpts = opts.ttlMs === undefined ? {} : { ttlMs: opts.ttlMs };
    let filter: ReplayFilter | null = null;
    try {
      const snap = JSON.parse(await readFile(path, 'utf8')) as ReplayFilterSnapshot;
      filter = ReplayFilter.fromSnapshot(snap, nowMs, filterOpts);
    } catch {
      // absent or damaged: start empty, exactly like a reference server
    }
    return new ReplayStore(path, filter, filterOpts);
  }

  /** Same contract as ReplayFilter.testAndSet; schedules a save when a new entry was added. */
  testAndSet(nowMs: number, buf: Uint8Array): boolean {
    const seen = (this.#filter ??= new ReplayFilter(this.#filterOpts)).testAndSet(nowMs, buf);
    if (!seen && this.#timer === null) {
      this.#timer = setTimeout(() => void this.flush(), SAVE_DELAY_MS);
      this.#timer.unref();
    }
    return seen;
  }

  /** Writes the filter now (atomically) and waits for it. Errors are swallowed: see class doc. */
  flush(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    // Nothing read and no handshake since: there is nothing to keep.
    if (this.#filter === null) return this.#saving;
    const data = JSON.stringify(this.#filter.snapshot());
    this.#saving = this.#saving.then(async () => {
      try {
        await writeFileAtomic(this.#path, data);
      } catch {
        // an unwritable state dir already failed loudly at start; nothing useful to add here
      }
    });
    return this.#saving;
  }
}
