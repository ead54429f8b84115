/**
 * The client's session tickets, kept in the state directory in obfs4proxy's format so that a
 * tor switching between obfs4proxy and steppe keeps its tickets:
 *
 *   scramblesuit_tickets.json  {"<bridge host:port>": {"key-ticket": base32(master key ‖ ticket),
 *                               "issuedAt": <Unix seconds>}, ...}   (mode 0600)
 *
 * A ticket is good for one connection (both references delete it when they redeem it) and for
 * 7 days after it was received. Unlike obfs4proxy, which refuses to start on a damaged file, a
 * file steppe cannot read is reported and replaced: losing tickets only costs a UniformDH
 * handshake, while refusing to start costs the user their bridge.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { base32Decode, base32Encode } from '../../crypto/base32.js';
import { writeFileAtomic } from '../../fs/write-atomic.js';
import {
  MASTER_KEY_LENGTH,
  NEW_TICKET_PAYLOAD_LENGTH,
  TICKET_LENGTH,
  TICKET_LIFETIME_S,
} from './constants.js';

export const TICKET_FILE = 'scramblesuit_tickets.json';

export interface StoredTicket {
  readonly masterKey: Uint8Array;
  readonly ticket: Uint8Array;
  /** Unix seconds, when the client received it. */
  readonly issuedAt: number;
}

function isLive(t: StoredTicket, nowMs: number): boolean {
  return t.issuedAt + TICKET_LIFETIME_S > Math.floor(nowMs / 1000);
}

/** Parses the file's text; returns the live tickets, or a reason the file is unusable. */
export function parseTicketFile(
  text: string,
  nowMs: number,
): { tickets: Map<string, StoredTicket>; skipped: number } | { error: string } {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    return { error: 'is not valid JSON' };
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) {
    return { error: 'is not a JSON object of bridge addresses' };
  }
  const tickets = new Map<string, StoredTicket>();
  let skipped = 0;
  for (const [addr, v] of Object.entries(js as Record<string, unknown>)) {
    const o = v as { 'key-ticket'?: unknown; issuedAt?: unknown } | null;
    const raw = typeof o?.['key-ticket'] === 'string' ? base32Decode(o['key-ticket']) : null;
    const issuedAt = o?.issuedAt;
    if (raw?.length !== NEW_TICKET_PAYLOAD_LENGTH || !Number.isSafeInteger(issuedAt)) {
      // obfs4proxy skips damaged entries silently too; the rest of the file is still good.
      skipped++;
      continue;
    }
    const t: StoredTicket = {
      masterKey: raw.slice(0, MASTER_KEY_LENGTH),
      ticket: raw.slice(MASTER_KEY_LENGTH, MASTER_KEY_LENGTH + TICKET_LENGTH),
      issuedAt: issuedAt as number,
    };
    if (isLive(t, nowMs)) tickets.set(addr, t);
  }
  return { tickets, skipped };
}

export function serializeTickets(tickets: ReadonlyMap<string, StoredTicket>): string {
  // Go's json.Marshal writes map keys sorted and struct fields in declaration order.
  const out: Record<string, { 'key-ticket': string; issuedAt: number }> = {};
  for (const addr of [...tickets.keys()].sort()) {
    const t = tickets.get(addr)!;
    const kt = new Uint8Array(NEW_TICKET_PAYLOAD_LENGTH);
    kt.set(t.masterKey, 0);
    kt.set(t.ticket, MASTER_KEY_LENGTH);
    out[addr] = { 'key-ticket': base32Encode(kt), issuedAt: t.issuedAt };
  }
  return JSON.stringify(out);
}

export class TicketStore {
  readonly #path: string | null;
  readonly #tickets: Map<string, StoredTicket>;
  readonly #now: () => number;
  #saving: Promise<void> = Promise.resolve();

  private constructor(path: string | null, tickets: Map<string, StoredTicket>, now: () => number) {
    this.#path = path;
    this.#tickets = tickets;
    this.#now = now;
  }

  /**
   * Loads `stateDir`'s ticket file (synchronously: clients are created synchronously, once).
   * Without a state directory tickets live in memory only. `warn` hears about a damaged file,
   * which is then rewritten with whatever could be kept.
   */
  static load(
    stateDir: string | undefined,
    now: () => number = Date.now,
    warn: (message: string) => void = () => {},
  ): TicketStore {
    if (stateDir === undefined) return new TicketStore(null, new Map(), now);
    const path = join(stateDir, TICKET_FILE);
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        warn(`cannot read ${path} (${(e as Error).message}); starting without session tickets`);
      }
    }
    if (text === null) return new TicketStore(path, new Map(), now);
    const parsed = parseTicketFile(text, now());
    if ('error' in parsed) {
      warn(`${path} ${parsed.error}; replacing it (the next connections use UniformDH)`);
      const store = new TicketStore(path, new Map(), now);
      void store.#save();
      return store;
    }
    if (parsed.skipped > 0) {
      warn(`${path}: ${parsed.skipped} damaged ticket(s) dropped`);
      const store = new TicketStore(path, parsed.tickets, now);
      void store.#save();
      return store;
    }
    return new TicketStore(path, parsed.tickets, now);
  }

  /** Takes the live ticket for `bridge` out of the store (tickets are single-use). */
  take(bridge: string): StoredTicket | null {
    const t = this.#tickets.get(bridge);
    if (t === undefined) return null;
    this.#tickets.delete(bridge);
    void this.#save();
    return isLive(t, this.#now()) ? t : null;
  }

  /** Keeps a NEW_TICKET payload (master key ‖ ticket) for the next connection to `bridge`. */
  put(bridge: string, payload: Uint8Array): void {
    if (payload.length !== NEW_TICKET_PAYLOAD_LENGTH) return;
    this.#tickets.set(bridge, {
      masterKey: payload.slice(0, MASTER_KEY_LENGTH),
      ticket: payload.slice(MASTER_KEY_LENGTH),
      issuedAt: Math.floor(this.#now() / 1000),
    });
    void this.#save();
  }

  has(bridge: string): boolean {
    return this.#tickets.has(bridge);
  }

  /** Resolves once every change so far is on disk. */
  flush(): Promise<void> {
    return this.#saving;
  }

  /** Writes the current map after any write in progress; errors cost only tickets. */
  #save(): Promise<void> {
    const path = this.#path;
    if (path === null) return this.#saving;
    this.#saving = this.#saving.then(async () => {
      const data = serializeTickets(this.#tickets);
      try {
        await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
        await writeFileAtomic(path, data);
      } catch {
        // A read-only state dir means tickets are not kept; UniformDH still works.
      }
    });
    return this.#saving;
  }
}
