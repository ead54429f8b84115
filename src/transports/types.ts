import type { Duplex } from 'node:stream';
import type { RandomSource } from '../crypto/random.js';
import type { HostPort } from '../net/address.js';

/**
 * Key → values, with goptlib's pt.Args semantics. Used for per-connection client args (the SOCKS
 * username/password), server transport options (TOR_PT_SERVER_TRANSPORT_OPTIONS) and the args a
 * server publishes (SMETHOD ... ARGS:, the bridge line). Transports read the first value of a key.
 */
export type PtArgs = ReadonlyMap<string, readonly string[]>;

export function ptArgs(entries: Record<string, string | number>): PtArgs {
  return new Map(Object.entries(entries).map(([k, v]) => [k, [String(v)]]));
}

export function argValue(args: PtArgs, key: string): string | undefined {
  return args.get(key)?.[0];
}

export interface HandshakeOptions {
  /** Caller cancellation. The transport additionally enforces its own spec timeout. */
  readonly signal?: AbortSignal;
  /**
   * The server's address as host:port (IPv6 in brackets), when the caller knows it: per-server
   * client state is filed under it (ScrambleSuit's session tickets). Default: the socket's peer.
   */
  readonly peer?: string;
}

/** Test seams: known-answer tests replace the randomness and the clock. */
export interface Deps {
  readonly rng?: RandomSource;
  /** Milliseconds since the Unix epoch, like Date.now. */
  readonly now?: () => number;
  /** Hears problems a transport recovered from (a damaged ticket file it replaced). */
  readonly warn?: (message: string) => void;
}

export interface ClientOptions extends Deps {
  /** TOR_PT_STATE_LOCATION or the standalone --state directory (obfs4 keeps nothing there). */
  readonly stateDir?: string;
}

/**
 * One logical replay filter for every process of a multi-worker server: the primary owns the
 * real one (and persists it); workers ask it. Resolves true when `tag` was seen before, and
 * records it otherwise (ReplayFilter.testAndSet's contract).
 */
export interface SharedReplayFilter {
  testAndSet(nowMs: number, tag: Uint8Array): Promise<boolean>;
}

export interface ServerOptions extends Deps {
  /** Where the server keeps its identity (obfs4: obfs4_state.json, obfs4_bridgeline.txt). */
  readonly stateDir: string;
  /** TOR_PT_SERVER_TRANSPORT_OPTIONS for this transport, or standalone flags. */
  readonly options?: PtArgs;
  /**
   * In a worker process: check replays here instead of in a filter of the factory's own (which
   * is then neither loaded nor saved). Transports without a replay filter ignore it.
   */
  readonly sharedReplay?: SharedReplayFilter;
}

export interface DialContext {
  /** True when the connection goes through an upstream proxy (TOR_PT_PROXY). */
  readonly proxied: boolean;
}

export interface ClientFactory<A = unknown> {
  readonly transportName: string;
  /**
   * Validates per-connection args (a bridge line's k=v pairs) and precomputes anything whose
   * timing must not be observable on the wire (obfs4: the Elligator2 session keypair).
   * Throws InvalidArgsError with a message that names the bad argument.
   */
  parseArgs(args: PtArgs): A;
  /**
   * Runs the client handshake over an already connected socket and resolves with the data-phase
   * stream once it succeeds. Takes ownership of `socket`: on failure it is destroyed.
   */
  wrap(socket: Duplex, args: A, opts?: HandshakeOptions): Promise<Duplex>;
  /**
   * Where the connection must go when the transport names it itself rather than taking the
   * bridge address (webtunnel: the url='s host, or addr=; the Bridge line's address is a
   * placeholder). Undefined or absent: the bridge address. May check (and resolve) the target
   * and reject with one clear error (webtunnel refuses private addresses, see dial-guard.ts).
   */
  dialTarget?(args: A, ctx: DialContext): HostPort | Promise<HostPort> | undefined;
}

export interface ServerFactory {
  readonly transportName: string;
  /** Published to clients: SMETHOD ... ARGS:<these>, and the bridge line. */
  readonly clientArgs: PtArgs;
  /**
   * Takes ownership of `socket`, runs the server handshake and resolves once the stream is ready
   * to relay. On failure it applies the transport's probe-resistance policy itself (obfs4: read
   * and discard until a per-bridge deadline, then close with FIN) and rejects with a
   * HandshakeError; the caller must neither write to nor close `socket` afterwards.
   */
  accept(socket: Duplex, opts?: HandshakeOptions): Promise<Duplex>;
  /**
   * Persists what must survive a restart (obfs4: the replay filter). Call on shutdown. Pending
   * probe-resistance closes are left to run out (their timers do not hold the process open).
   */
  close?(): Promise<void>;
  /**
   * The factory's own replay filter, for transports that have one: a multi-worker primary
   * answers its workers' SharedReplayFilter questions from it (and close() persists it).
   */
  readonly replayFilter?: { testAndSet(nowMs: number, tag: Uint8Array): boolean };
}

/**
 * A server identity held in memory: the args clients need (the bridge line's k=v pairs) and the
 * files of the state directory that hold it, by name, as createServer reads and writes them.
 */
export interface TransportIdentity {
  readonly transport: string;
  readonly clientArgs: PtArgs;
  readonly files: ReadonlyMap<string, string>;
}

/** Identity operations without side effects (no files written, nothing listening). */
export interface IdentityOps {
  /** A new identity; `options` as ServerTransportOptions (obfs4: iat-mode). */
  create(opts?: { readonly options?: PtArgs; readonly rng?: RandomSource }): TransportIdentity;
  /**
   * The identity that createServer would load from `stateDir`, or null when there is none (it
   * would make one up). Reads only. Rejects with PtError ERR_INVALID_STATE when it is damaged.
   */
  read(stateDir: string, opts?: { readonly options?: PtArgs }): Promise<TransportIdentity | null>;
}

export interface Transport {
  /** pt-spec: a C identifier, e.g. "obfs4". */
  readonly name: string;
  /** For transports whose server has an identity (obfs4's keys): see IdentityOps. */
  readonly identity?: IdentityOps;
  createClient(opts?: ClientOptions): ClientFactory;
  /** Loads or creates the server identity. Rejects with PtError when state or options are bad. */
  createServer(opts: ServerOptions): Promise<ServerFactory>;
  /**
   * The address to print in a Bridge line for these published args, when it is not the
   * server's own (webtunnel: a synthetic 2001:db8:: address, since clients dial the url=).
   */
  bridgeAddress?(clientArgs: PtArgs): HostPort | undefined;
}
