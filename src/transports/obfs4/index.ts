/**
 * obfs4, wire-compatible with obfs4proxy 0.0.14 and lyrebird: the Transport used by managed mode
 * and the standalone tunnel, and a small library API (`obfs4.dial`, `obfs4.createServer`).
 */
import type { Duplex } from 'node:stream';
import { generateSessionKeypair, type SessionKeypair } from '../../crypto/elligator2.js';
import { closeDelaySeconds } from '../../crypto/probdist.js';
import { openDialSocket, type DialTarget } from '../../net/connector.js';
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
  SERVER_HANDSHAKE_TIMEOUT_MS,
  type IatMode,
} from './constants.js';
import { Distributions } from './distributions.js';
import { ClientHandshake, ServerHandshake, type ServerIdentity } from './handshake.js';
import { ReplayStore } from './replay-store.js';
import { DeferredReplayCheck, runClient, runServer } from './session.js';
import {
  encodeCert,
  loadServerState,
  obfs4Identity,
  parseClientArgs,
  type ServerState,
} from './state.js';
import type { Obfs4Stream } from './stream.js';

export { encodeCert, decodeCert, parseClientArgs, STATE_FILE, BRIDGE_LINE_FILE } from './state.js';
export { REPLAY_FILE } from './replay-store.js';
export type { ServerState } from './state.js';
export type { IatMode } from './constants.js';
export type { Obfs4Stream } from './stream.js';

/** Parsed bridge-line args plus the session key made ahead of the connection. */
export interface Obfs4ClientArgs {
  readonly identity: ServerIdentity;
  readonly iatMode: IatMode;
  /** Generated in parseArgs, before connecting, so Elligator2's rejection sampling is not timed on the wire. */
  sessionKey: SessionKeypair | null;
}

export interface Obfs4ServerOptions extends ServerOptions {
  /**
   * Test and bench seams. In production both come from the reference: a 30 s handshake timeout
   * and a per-bridge close delay of 0–59 s derived from the drbg-seed.
   */
  readonly handshakeTimeoutMs?: number;
  readonly closeDelayMs?: number;
}

class Obfs4ClientFactory implements ClientFactory<Obfs4ClientArgs> {
  readonly transportName = 'obfs4';
  readonly #opts: ClientOptions;

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
  }

  parseArgs(args: PtArgs): Obfs4ClientArgs {
    const { identity, iatMode } = parseClientArgs(args);
    return { identity, iatMode, sessionKey: generateSessionKeypair(this.#opts.rng) };
  }

  wrap(socket: Duplex, args: Obfs4ClientArgs, opts: HandshakeOptions = {}): Promise<Obfs4Stream> {
    // A session key must never serve two connections; parsed args reused for a second dial get
    // a fresh one.
    const sessionKey = args.sessionKey ?? generateSessionKeypair(this.#opts.rng);
    args.sessionKey = null;
    const handshake = new ClientHandshake({
      identity: args.identity,
      sessionKey,
      ...(this.#opts.rng ? { rng: this.#opts.rng } : {}),
      ...(this.#opts.now ? { now: this.#opts.now } : {}),
    });
    return runClient(socket, {
      handshake,
      iatMode: args.iatMode,
      dists: Distributions.forClient(args.iatMode),
      timeoutMs: CLIENT_HANDSHAKE_TIMEOUT_MS,
      signal: opts.signal,
    });
  }
}

export class Obfs4ServerFactory implements ServerFactory {
  readonly transportName = 'obfs4';
  readonly state: ServerState;
  readonly clientArgs: PtArgs;
  readonly #opts: Obfs4ServerOptions;
  readonly #replay: ReplayStore | null;
  // Both derived from the drbg-seed by the first connection: the HashDrbg compiles its
  // WebAssembly on first use, ~1 MiB of a bridge's start RSS that tor may never need.
  #closeDelayMs: number | undefined;
  #dists: Distributions | undefined;

  /** The filter this factory owns (null in a worker, whose checks go to opts.sharedReplay). */
  get replayFilter(): ReplayStore | undefined {
    return this.#replay ?? undefined;
  }

  constructor(state: ServerState, replay: ReplayStore | null, opts: Obfs4ServerOptions) {
    this.state = state;
    this.#replay = replay;
    this.#opts = opts;
    this.clientArgs = ptArgs({ cert: encodeCert(state), 'iat-mode': state.iatMode });
    this.#closeDelayMs = opts.closeDelayMs;
  }

  /** The per-bridge close delay for failed handshakes, derived from the drbg-seed like obfs4proxy's. */
  get closeDelayMs(): number {
    return (this.#closeDelayMs ??= closeDelaySeconds(this.state.drbgSeed) * 1000);
  }

  /** The bridge's `cert=` value. */
  get cert(): string {
    return argValue(this.clientArgs, 'cert')!;
  }

  /** A torrc Bridge line for this server at `address` (host:port), fingerprint optional. */
  bridgeLine(address: string, fingerprint?: string): string {
    const fp = fingerprint === undefined ? '' : ` ${fingerprint}`;
    return `Bridge obfs4 ${address}${fp} cert=${this.cert} iat-mode=${this.state.iatMode}`;
  }

  accept(socket: Duplex, opts: HandshakeOptions = {}): Promise<Obfs4Stream> {
    // The session key is made before reading anything, so its cost is not visible as latency
    // between the client's request and the response.
    const sessionKey = generateSessionKeypair(this.#opts.rng);
    const now = this.#opts.now ?? Date.now;
    const timeoutMs = this.#opts.handshakeTimeoutMs ?? SERVER_HANDSHAKE_TIMEOUT_MS;
    const shared = this.#opts.sharedReplay;
    const pending = this.#replay === null ? new DeferredReplayCheck() : null;
    const handshake = new ServerHandshake({
      identity: this.state,
      sessionKey,
      replayFilter: pending ?? this.#replay!,
      ...(this.#opts.rng ? { rng: this.#opts.rng } : {}),
      now,
    });
    return runServer(socket, {
      handshake,
      drbgSeed: this.state.drbgSeed,
      iatMode: this.state.iatMode,
      dists: (this.#dists ??= Distributions.forServer(this.state.drbgSeed, this.state.iatMode)),
      timeoutMs,
      closeDeadline: Date.now() + timeoutMs + this.closeDelayMs,
      signal: opts.signal,
      ...(pending !== null && shared !== undefined
        ? { sharedReplay: { pending, filter: shared } }
        : {}),
    });
  }

  /** Saves the replay filter; call before the process exits (managed mode does on shutdown). */
  close(): Promise<void> {
    return this.#replay?.flush() ?? Promise.resolve();
  }
}

export const obfs4Transport: Transport = {
  name: 'obfs4',
  identity: obfs4Identity,
  createClient(opts?: ClientOptions): ClientFactory {
    return new Obfs4ClientFactory(opts);
  },
  async createServer(opts: Obfs4ServerOptions): Promise<Obfs4ServerFactory> {
    const state = await loadServerState(opts.stateDir, opts.options ?? new Map(), opts.rng);
    const replay =
      opts.sharedReplay === undefined
        ? await ReplayStore.open(opts.stateDir, (opts.now ?? Date.now)())
        : null;
    return new Obfs4ServerFactory(state, replay, opts);
  },
};

// ------------------------------------------------------------------ library API

export interface Obfs4DialOptions extends DialTarget {
  /** The bridge line's cert= value. */
  cert: string;
  /** The bridge line's iat-mode (0, 1 or 2); defaults to 0. */
  iatMode?: IatMode;
}

/** Library API. Import as `import { obfs4 } from 'steppe'`. */
export const obfs4 = {
  transport: obfs4Transport,

  /**
   * Connects to an obfs4 server and resolves with a Duplex once the handshake succeeded.
   * Rejects with InvalidArgsError for a bad cert, PtError ERR_CONNECT when the server is
   * unreachable, HandshakeError when the handshake fails (a wrong cert shows as
   * ERR_HANDSHAKE_TIMEOUT: a real obfs4 server never answers a client it cannot authenticate).
   */
  async dial(opts: Obfs4DialOptions): Promise<Obfs4Stream> {
    const factory = new Obfs4ClientFactory();
    const args = factory.parseArgs(ptArgs({ cert: opts.cert, 'iat-mode': opts.iatMode ?? 0 }));
    const socket = await openDialSocket(opts);
    return factory.wrap(socket, args, opts.signal ? { signal: opts.signal } : {});
  },

  /** Loads or creates a server identity in `stateDir` (obfs4proxy's file format). */
  createServer(opts: Obfs4ServerOptions & { iatMode?: IatMode }): Promise<Obfs4ServerFactory> {
    const options = new Map(opts.options ?? []);
    if (opts.iatMode !== undefined) options.set('iat-mode', [String(opts.iatMode)]);
    return obfs4Transport.createServer({ ...opts, options }) as Promise<Obfs4ServerFactory>;
  },
};
