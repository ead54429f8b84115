// Replay detection for obfs4 client handshakes (common/replayfilter; protocols.md §2.12). The
// server remembers the SipHash-2-4 digest of every accepted MAC_C for a TTL (3 h), so a censor
// that records a genuine handshake and replays it (an active probe) gets no answer.
//
// Digests live in a Set plus an insertion-order FIFO kept as two parallel arrays (digests, and
// first-seen times as unboxed doubles): about 50 bytes of heap per entry instead of ~150 with an
// object per entry, which matters because a busy bridge holds three hours of them (the soak bench
// showed the filter as the only thing a server's heap accumulates). Compaction runs on every testAndSet,
// exactly as in Go: when the filter is full the oldest entry is dropped regardless of age; then
// entries older than the TTL are dropped from the front; and if the clock reads earlier than the
// oldest entry (the clock jumped backwards) the whole filter is flushed, because otherwise
// nothing would expire until the clock caught up again.
import { randomBytes } from './random.js';
import { SipHash24 } from './siphash.js';

/** obfs4's replay TTL: 3 hours. */
export const REPLAY_TTL_MS = 3 * 60 * 60 * 1000;
/** obfs4's maxFilterSize: a safeguard far above a busy bridge's daily connection count. */
export const REPLAY_CAPACITY = 100 * 1024;

/** Options for a ReplayFilter. */
export interface ReplayFilterOptions {
  /** How long an entry is remembered, in ms (default 3 h). Must be > 0. */
  ttlMs?: number;
  /** Maximum number of entries (default 100·1024). */
  capacity?: number;
  /** 16-byte SipHash key (default: random). Read as two big-endian words, as obfs4 does. */
  key?: Uint8Array;
}

/**
 * What a filter needs to survive a restart: its key (so digests stay comparable) and the live
 * entries in insertion order. A server that forgot its filter on restart would answer a
 * handshake recorded minutes before it (censors.md §6.3, "R1 after server restart").
 */
export interface ReplayFilterSnapshot {
  /** The 16-byte key as given to the constructor, hex. */
  key: string;
  /** [digest as 16 hex digits, first seen in ms], oldest first. */
  entries: [string, number][];
}

/** Remembers which byte strings were seen recently. Several may coexist (no global state). */
export class ReplayFilter {
  readonly ttlMs: number;
  readonly capacity: number;
  private readonly key: Uint8Array;
  private readonly rawKey: Uint8Array;
  private readonly seen = new Set<bigint>();
  /** Entries in insertion order, digest and first-seen time at the same index; `head` is the index of the oldest live one. */
  private digests: bigint[] = [];
  private times: number[] = [];
  private head = 0;

  constructor(opts: ReplayFilterOptions = {}) {
    const ttlMs = opts.ttlMs ?? REPLAY_TTL_MS;
    const capacity = opts.capacity ?? REPLAY_CAPACITY;
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`invalid ttlMs ${ttlMs}`);
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`invalid capacity ${capacity}`);
    }
    const raw = opts.key ?? randomBytes(16);
    if (!(raw instanceof Uint8Array) || raw.length !== 16) {
      throw new RangeError('replay filter key must be 16 bytes');
    }
    // Go does k0 = BE64(key[0:8]), k1 = BE64(key[8:16]) and SipHash takes k0/k1 as integers; the
    // equivalent SipHash key bytes are each half reversed. (Only matters for reproducibility.)
    this.key = Uint8Array.from(
      [...raw.subarray(0, 8)].reverse().concat([...raw.subarray(8)].reverse()),
    );
    this.rawKey = Uint8Array.from(raw);
    this.ttlMs = ttlMs;
    this.capacity = capacity;
  }

  /** Rebuilds a filter from `snapshot`, dropping entries already past the TTL at `nowMs`. */
  static fromSnapshot(
    snapshot: ReplayFilterSnapshot,
    nowMs: number,
    opts: Omit<ReplayFilterOptions, 'key'> = {},
  ): ReplayFilter {
    if (!/^[0-9a-f]{32}$/.test(snapshot.key))
      throw new RangeError('replay filter snapshot: bad key');
    const f = new ReplayFilter({ ...opts, key: Uint8Array.from(Buffer.from(snapshot.key, 'hex')) });
    for (const item of snapshot.entries) {
      const [hex, firstSeen] = item;
      if (!/^[0-9a-f]{16}$/.test(hex) || !Number.isFinite(firstSeen)) {
        throw new RangeError('replay filter snapshot: bad entry');
      }
      const age = nowMs - firstSeen;
      if (age < 0 || age >= f.ttlMs || f.seen.size >= f.capacity) continue;
      f.remember(BigInt(`0x${hex}`), firstSeen);
    }
    return f;
  }

  snapshot(): ReplayFilterSnapshot {
    const entries: [string, number][] = [];
    for (let i = this.head; i < this.digests.length; i++) {
      entries.push([this.digests[i]!.toString(16).padStart(16, '0'), this.times[i]!]);
    }
    return { key: Buffer.from(this.rawKey).toString('hex'), entries };
  }

  /** Number of remembered entries. */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Looks `buf` up and records it.
   * @param nowMs the current time in ms (e.g. Date.now()), injected for tests
   * @returns true if `buf` was seen within the TTL (a replay), false if it is new
   */
  testAndSet(nowMs: number, buf: Uint8Array): boolean {
    const h = new SipHash24(this.key);
    h.write(buf);
    const d = h.sum();
    let digest = 0n;
    for (let i = 7; i >= 0; i--) digest = (digest << 8n) | BigInt(d[i]!);

    this.compact(nowMs);
    if (this.seen.has(digest)) return true;
    this.remember(digest, nowMs);
    return false;
  }

  private remember(digest: bigint, firstSeen: number): void {
    this.seen.add(digest);
    this.digests.push(digest);
    this.times.push(firstSeen);
  }

  private compact(nowMs: number): void {
    while (this.head < this.digests.length) {
      if (this.seen.size < this.capacity) {
        const age = nowMs - this.times[this.head]!;
        if (age < 0) {
          this.reset();
          return;
        }
        if (age < this.ttlMs) break;
      }
      this.seen.delete(this.digests[this.head]!);
      this.head++;
    }
    // Reclaim the dequeued prefix once it dominates the arrays.
    if (this.head > 1024 && this.head * 2 > this.digests.length) {
      this.digests = this.digests.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  private reset(): void {
    this.seen.clear();
    this.digests = [];
    this.times = [];
    this.head = 0;
  }
}
