/**
 * ScrambleSuit, client and server, wire-compatible with obfs4proxy 0.0.14's client and the Python
 * obfsproxy (protocols.md §3.3): the Transport used by managed mode and the standalone tunnel,
 * and a small library API (`scramblesuit.dial`, `scramblesuit.createServer`).
 */
import type { Duplex } from 'node:stream';
import { closeDelaySeconds } from '../../crypto/probdist.js';
import { DRBG_SEED_LENGTH } from '../../crypto/drbg.js';
import { randomBytes } from '../../crypto/random.js';
import { generateUniformDhKeypair, type UniformDhKeypair } from '../../crypto/uniformdh.js';
import { formatHostPort } from '../../net/address.js';
import { openDialSocket, type DialTarget } from '../../net/connector.js';
import { REPLAY_TTL_MS } from '../../crypto/replay-filter.js';
import { ReplayStore } from '../obfs4/replay-store.js';
import {
  argValue,
  ptArgs,
  type ClientFactory,
  type ClientOptions,
  type HandshakeOptions,
  type PtArgs,
  type ServerFactory,
  type ServerOptions,
  type Transport,
} from '../types.js';
import {
  CLIENT_HANDSHAKE_TIMEOUT_MS,
  EPOCH_HOUR_MS,
  MASTER_KEY_LENGTH,
  PASSWORD_ARG,
  SERVER_HANDSHAKE_TIMEOUT_MS,
  TICKET_LIFETIME_S,
} from './constants.js';
import { ClientDhHandshake, ServerHandshake, ticketHandshake } from './handshake.js';
import { randomLengthDist, seededLengthDist } from './length-dist.js';
import { encodePassword, parsePassword } from './password.js';
import { runClient, runServer, type HandshakeKind } from './session.js';
import {
  loadServerState,
  rotateTicketKeys,
  saveServerState,
  scramblesuitIdentity,
  type ServerState,
} from './state.js';
import type { ScrambleSuitStream } from './codec.js';
import { sealTicket } from './ticket.js';
import { TicketStore } from './ticket-store.js';

export { STATE_FILE, BRIDGE_LINE_FILE } from './state.js';
export { TICKET_FILE } from './ticket-store.js';
export type { ScrambleSuitStream } from './codec.js';
export type { HandshakeKind } from './session.js';

export const TRANSPORT_NAME = 'scramblesuit';
/** Accepted handshake MACs (either kind), kept past the ±1 hour window in which they verify. */
export const REPLAY_FILE = 'scramblesuit_replay.json';
/** Redeemed tickets, kept for a ticket's lifetime: each opens one connection only. */
export const REDEEMED_FILE = 'scramblesuit_redeemed.json';
const HANDSHAKE_REPLAY_TTL_MS = Math.max(REPLAY_TTL_MS, 4 * EPOCH_HOUR_MS);
const REDEEMED_TTL_MS = TICKET_LIFETIME_S * 1000 + EPOCH_HOUR_MS;

/** Parsed bridge-line args plus the UniformDH key made ahead of the connection. */
export interface ScrambleSuitClientArgs {
  readonly secret: Uint8Array;
  /** Made in parseArgs, before connecting, so its cost is not timed on the wire (as Go does). */
  keypair: UniformDhKeypair | null;
}

export class ScrambleSuitClientFactory implements ClientFactory<ScrambleSuitClientArgs> {
  readonly transportName = TRANSPORT_NAME;
  readonly tickets: TicketStore;
  readonly #opts: ClientOptions;

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
    this.tickets = TicketStore.load(opts.stateDir, opts.now ?? Date.now, opts.warn);
  }

  parseArgs(args: PtArgs): ScrambleSuitClientArgs {
    const secret = parsePassword(argValue(args, PASSWORD_ARG), 'the scramblesuit bridge line');
    return { secret, keypair: generateUniformDhKeypair(this.#opts.rng) };
  }

  async wrap(
    socket: Duplex,
    args: ScrambleSuitClientArgs,
    opts: HandshakeOptions = {},
  ): Promise<ScrambleSuitStream> {
    return (await this.connect(socket, args, opts)).stream;
  }

  /** wrap, also saying which handshake was used. */
  connect(
    socket: Duplex,
    args: ScrambleSuitClientArgs,
    opts: HandshakeOptions = {},
  ): Promise<{ stream: ScrambleSuitStream; kind: HandshakeKind }> {
    const keypair = args.keypair ?? generateUniformDhKeypair(this.#opts.rng);
    args.keypair = null;
    const now = this.#opts.now ?? Date.now;
    // Tickets are filed under the bridge's address as obfs4proxy files them (its RemoteAddr).
    const peer = opts.peer ?? socketPeer(socket);
    const stored = peer === null ? null : this.tickets.take(peer);
    const ticket =
      stored === null
        ? null
        : {
            message: ticketHandshake(stored.ticket, stored.masterKey, now(), this.#opts.rng),
            masterKey: stored.masterKey,
          };
    return runClient(socket, {
      ticket,
      dh: new ClientDhHandshake({
        secret: args.secret,
        keypair,
        now,
        ...(this.#opts.rng ? { rng: this.#opts.rng } : {}),
      }),
      lengthDist: randomLengthDist(),
      onTicket: (payload) => {
        if (peer !== null) this.tickets.put(peer, payload);
      },
      timeoutMs: CLIENT_HANDSHAKE_TIMEOUT_MS,
      signal: opts.signal,
    });
  }
}

function socketPeer(socket: Duplex): string | null {
  const s = socket as { remoteAddress?: string; remotePort?: number };
  if (s.remoteAddress === undefined || s.remotePort === undefined) return null;
  return formatHostPort({ host: s.remoteAddress, port: s.remotePort });
}

export interface ScrambleSuitServerOptions extends ServerOptions {
  /** Test and bench seams: the 30 s handshake timeout and the per-bridge close delay (0–59 s). */
  readonly handshakeTimeoutMs?: number;
  readonly closeDelayMs?: number;
}

export class ScrambleSuitServerFactory implements ServerFactory {
  readonly transportName = TRANSPORT_NAME;
  readonly clientArgs: PtArgs;
  /** The per-bridge close delay for failed handshakes, derived from the PRNG seed. */
  readonly closeDelayMs: number;
  /** Successful handshakes by kind since start (tests and diagnostics). */
  readonly handshakes: Record<HandshakeKind, number> = { uniformdh: 0, ticket: 0 };
  #state: ServerState;
  readonly #opts: ScrambleSuitServerOptions;
  readonly #replay: ReplayStore;
  readonly #redeemed: ReplayStore;

  constructor(
    state: ServerState,
    replay: ReplayStore,
    redeemed: ReplayStore,
    opts: ScrambleSuitServerOptions,
  ) {
    this.#state = state;
    this.#replay = replay;
    this.#redeemed = redeemed;
    this.#opts = opts;
    this.clientArgs = ptArgs({ [PASSWORD_ARG]: encodePassword(state.secret) });
    this.closeDelayMs =
      opts.closeDelayMs ?? closeDelaySeconds(state.prngSeed.subarray(0, DRBG_SEED_LENGTH)) * 1000;
  }

  get state(): ServerState {
    return this.#state;
  }

  /** The bridge's `password=` value. */
  get password(): string {
    return argValue(this.clientArgs, PASSWORD_ARG)!;
  }

  /** A torrc Bridge line for this server at `address` (host:port), fingerprint optional. */
  bridgeLine(address: string, fingerprint?: string): string {
    const fp = fingerprint === undefined ? '' : ` ${fingerprint}`;
    return `Bridge scramblesuit ${address}${fp} ${PASSWORD_ARG}=${this.password}`;
  }

  accept(socket: Duplex, opts: HandshakeOptions = {}): Promise<ScrambleSuitStream> {
    const now = this.#opts.now ?? Date.now;
    const timeoutMs = this.#opts.handshakeTimeoutMs ?? SERVER_HANDSHAKE_TIMEOUT_MS;
    const st = this.#state;
    const handshake = new ServerHandshake({
      secret: st.secret,
      ticketKeys: st.oldTicketKeys === null ? [st.ticketKeys] : [st.ticketKeys, st.oldTicketKeys],
      replay: this.#replay,
      redeemed: this.#redeemed,
      // Made before reading anything, so its cost is not latency between request and reply.
      keypair: generateUniformDhKeypair(this.#opts.rng),
      now,
      ...(this.#opts.rng ? { rng: this.#opts.rng } : {}),
    });
    return runServer(socket, {
      handshake,
      issueTicket: () => this.#issueTicket(),
      prngSeed: st.prngSeed,
      lengthDist: seededLengthDist(st.prngSeed),
      timeoutMs,
      closeDeadline: Date.now() + timeoutMs + this.closeDelayMs,
      signal: opts.signal,
    }).then(({ stream, kind }) => {
      this.handshakes[kind]++;
      return stream;
    });
  }

  /** master key ‖ ticket for a client's next connection; rotates the ticket keys when due. */
  #issueTicket(): Uint8Array {
    const nowS = Math.floor((this.#opts.now ?? Date.now)() / 1000);
    const rotated = rotateTicketKeys(this.#state, nowS, this.#opts.rng);
    if (rotated !== this.#state) {
      this.#state = rotated;
      // A failed save only means the next start rotates again; tickets issued now still open
      // until then.
      saveServerState(this.#opts.stateDir, rotated).catch(() => {});
    }
    const masterKey = randomBytes(MASTER_KEY_LENGTH, this.#opts.rng);
    const ticket = sealTicket(this.#state.ticketKeys, masterKey, nowS, this.#opts.rng);
    const out = new Uint8Array(masterKey.length + ticket.length);
    out.set(masterKey, 0);
    out.set(ticket, masterKey.length);
    return out;
  }

  /** Saves the replay filters; call before the process exits (managed mode does on shutdown). */
  async close(): Promise<void> {
    await Promise.all([this.#replay.flush(), this.#redeemed.flush()]);
  }
}

export const scramblesuitTransport: Transport = {
  name: TRANSPORT_NAME,
  identity: scramblesuitIdentity,
  createClient(opts?: ClientOptions): ScrambleSuitClientFactory {
    return new ScrambleSuitClientFactory(opts);
  },
  async createServer(opts: ScrambleSuitServerOptions): Promise<ScrambleSuitServerFactory> {
    const nowMs = (opts.now ?? Date.now)();
    const state = await loadServerState(
      opts.stateDir,
      opts.options ?? new Map(),
      Math.floor(nowMs / 1000),
      opts.rng,
    );
    const replay = await ReplayStore.open(opts.stateDir, nowMs, {
      file: REPLAY_FILE,
      ttlMs: HANDSHAKE_REPLAY_TTL_MS,
    });
    const redeemed = await ReplayStore.open(opts.stateDir, nowMs, {
      file: REDEEMED_FILE,
      ttlMs: REDEEMED_TTL_MS,
    });
    return new ScrambleSuitServerFactory(state, replay, redeemed, opts);
  },
};

// ------------------------------------------------------------------ library API

export interface ScrambleSuitDialOptions extends DialTarget {
  /** The bridge line's password= value (32 Base32 characters). */
  password: string;
  /**
   * Where session tickets are kept across runs (scramblesuit_tickets.json, obfs4proxy's format).
   * Without it, tickets are kept in memory for the life of the process.
   */
  stateDir?: string;
}

/** One client factory (one ticket store) per state directory, shared by every dial. */
const dialFactories = new Map<string, ScrambleSuitClientFactory>();

function dialFactory(stateDir: string | undefined): ScrambleSuitClientFactory {
  const key = stateDir ?? '';
  let f = dialFactories.get(key);
  if (f === undefined) {
    f = new ScrambleSuitClientFactory(stateDir === undefined ? {} : { stateDir });
    dialFactories.set(key, f);
  }
  return f;
}

/** Library API. Import as `import { scramblesuit } from 'steppe'`. */
export const scramblesuit = {
  transport: scramblesuitTransport,

  /**
   * Connects to a ScrambleSuit server and resolves with a Duplex once the handshake is done.
   * Uses a stored session ticket for this server when there is one (no round trip), UniformDH
   * otherwise. Rejects with InvalidArgsError for a bad password, PtError ERR_CONNECT when the
   * server is unreachable, HandshakeError when the handshake fails (a wrong password shows as
   * ERR_HANDSHAKE_TIMEOUT: a ScrambleSuit server never answers a client it cannot authenticate).
   */
  async dial(opts: ScrambleSuitDialOptions): Promise<ScrambleSuitStream> {
    const factory = dialFactory(opts.stateDir);
    const args = factory.parseArgs(ptArgs({ [PASSWORD_ARG]: opts.password }));
    const socket = await openDialSocket(opts);
    const peer = formatHostPort({ host: opts.host, port: opts.port });
    return factory.wrap(socket, args, opts.signal ? { signal: opts.signal, peer } : { peer });
  },

  /**
   * Loads or creates a server in `stateDir` (scramblesuit_state.json). `password` sets k_B;
   * without it the server uses the one it generated and keeps there.
   */
  createServer(
    opts: ScrambleSuitServerOptions & { password?: string },
  ): Promise<ScrambleSuitServerFactory> {
    const options = new Map(opts.options ?? []);
    if (opts.password !== undefined) options.set(PASSWORD_ARG, [opts.password]);
    return scramblesuitTransport.createServer({
      ...opts,
      options,
    }) as Promise<ScrambleSuitServerFactory>;
  },
};
