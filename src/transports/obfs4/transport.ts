/**
 * The obfs4 Transport (client and server factories) as managed mode and the standalone tunnel
 * use it. This module holds only what a process needs before its first connection: parsing
 * bridge lines, loading or creating the server identity, the replay store. The connection
 * machinery (connection.ts) is imported by the first wrap() or accept(); until then a bridge tor
 * starts loads neither libsodium nor node:crypto (issue 12: start RSS).
 */
import type { Duplex } from 'node:stream';
import type { SessionKeypair } from '../../crypto/elligator2.js';
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
import { SERVER_HANDSHAKE_TIMEOUT_MS, type IatMode } from './constants.js';
import type { ServerDerived } from './connection.js';
import type { ServerIdentity } from './handshake.js';
import { ReplayStore } from './replay-store.js';
import {
  encodeCert,
  loadServerState,
  obfs4Identity,
  parseClientArgs,
  type ServerState,
} from './state.js';
import type { Obfs4Stream } from './stream.js';

type Connection = typeof import('./connection.js');

let connection: Connection | undefined;
let loading: Promise<Connection> | undefined;

/** The connection module, imported once; concurrent first connections share the import. */
function loadConnection(): Promise<Connection> {
  return (loading ??= import('./connection.js').then((m) => (connection = m)));
}

/** Parsed bridge-line args plus the session key made ahead of the connection. */
export interface Obfs4ClientArgs {
  readonly identity: ServerIdentity;
  readonly iatMode: IatMode;
  /**
   * Generated in parseArgs, before connecting, so Elligator2's rejection sampling is not timed
   * on the wire; null when parseArgs ran before the process's first connection had imported the
   * key code (wrap then makes it).
   */
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

export class Obfs4ClientFactory implements ClientFactory<Obfs4ClientArgs> {
  readonly transportName = 'obfs4';
  readonly #opts: ClientOptions;

  constructor(opts: ClientOptions = {}) {
    this.#opts = opts;
  }

  parseArgs(args: PtArgs): Obfs4ClientArgs {
    const { identity, iatMode } = parseClientArgs(args);
    const sessionKey = connection?.generateSessionKeypair(this.#opts.rng) ?? null;
    return { identity, iatMode, sessionKey };
  }

  async wrap(
    socket: Duplex,
    args: Obfs4ClientArgs,
    opts: HandshakeOptions = {},
  ): Promise<Obfs4Stream> {
    const conn = connection ?? (await loadConnection());
    // A session key must never serve two connections; parsed args reused for a second dial get
    // a fresh one.
    const sessionKey = args.sessionKey ?? conn.generateSessionKeypair(this.#opts.rng);
    args.sessionKey = null;
    return conn.startClient(socket, {
      identity: args.identity,
      iatMode: args.iatMode,
      sessionKey,
      signal: opts.signal,
      rng: this.#opts.rng,
      now: this.#opts.now,
    });
  }
}

export class Obfs4ServerFactory implements ServerFactory {
  readonly transportName = 'obfs4';
  readonly state: ServerState;
  readonly clientArgs: PtArgs;
  readonly #opts: Obfs4ServerOptions;
  readonly #replay: ReplayStore | null;
  // Derived from the drbg-seed by the first connection: the HashDrbg compiles its WebAssembly on
  // first use, ~1 MiB of a bridge's start RSS that tor may never need.
  #derived: ServerDerived | undefined;

  /** The filter this factory owns (null in a worker, whose checks go to opts.sharedReplay). */
  get replayFilter(): ReplayStore | undefined {
    return this.#replay ?? undefined;
  }

  constructor(state: ServerState, replay: ReplayStore | null, opts: Obfs4ServerOptions) {
    this.state = state;
    this.#replay = replay;
    this.#opts = opts;
    this.clientArgs = ptArgs({ cert: encodeCert(state), 'iat-mode': state.iatMode });
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

  async accept(socket: Duplex, opts: HandshakeOptions = {}): Promise<Obfs4Stream> {
    const conn = connection ?? (await loadConnection());
    return conn.startServer(socket, {
      state: this.state,
      derived: (this.#derived ??= conn.deriveServer(this.state, this.#opts.closeDelayMs)),
      replay: this.#replay,
      sharedReplay: this.#opts.sharedReplay,
      timeoutMs: this.#opts.handshakeTimeoutMs ?? SERVER_HANDSHAKE_TIMEOUT_MS,
      signal: opts.signal,
      now: this.#opts.now ?? Date.now,
      rng: this.#opts.rng,
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
