/**
 * obfs2, wire-compatible with obfs4proxy 0.0.14 and the Python obfsproxy, including the
 * latter's `shared-secret` extension (a SOCKS arg on the client, a ServerTransportOptions entry
 * or `--shared-secret` on the server; obfs4proxy refuses it).
 *
 * obfs2 is broken: everything needed to derive its keys crosses the wire, so a passive observer
 * reads the traffic and recognises the protocol (censors.md's obfs2-magic decoder does). It is
 * here only to reach old bridges that speak nothing else.
 *
 * The server behaves as obfs4proxy's does: it sends its seed, header and padding at once, closes
 * as soon as a wrong header arrives (RST when more bytes were already waiting, as a Go close
 * with unread bytes is), and closes (FIN) when the handshake is not complete within 30 s or the
 * peer closes first.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RandomSource } from '../../crypto/random.js';
import { publishHandshake } from '../../diagnostics.js';
import { InvalidArgsError, type PtError } from '../../errors.js';
import { openDialSocket, type DialTarget } from '../../net/connector.js';
import { CodecStream } from '../codec-stream.js';
import { readUntil } from '../handshake-io.js';
import { statelessIdentity } from '../stateless-identity.js';
import {
  argValue,
  type ClientFactory,
  type ClientOptions,
  type HandshakeOptions,
  type PtArgs,
  type ServerFactory,
  type ServerOptions,
  type Transport,
} from '../types.js';
import { HANDSHAKE_TIMEOUT_MS, SHARED_SECRET_HASH_ITERATIONS } from './constants.js';
import { Obfs2Codec } from './codec.js';
import { Obfs2Handshake } from './handshake.js';
import { sharedSecret, type SharedSecret } from './keys.js';

export { obfs2Mac, paddingKey, dataKeys, type Obfs2DataKeys } from './keys.js';

/** The argument name, in SOCKS args and ServerTransportOptions. */
export const SHARED_SECRET_ARG = 'shared-secret';

/** Test seams shared by both sides. */
interface Obfs2Seams {
  /** The shared-secret extension's hash rounds (100000, as the Python obfsproxy). */
  readonly hashIterations?: number;
}

export interface Obfs2ServerOptions extends Partial<ServerOptions>, Obfs2Seams {
  /** The 30 s handshake deadline of the reference. */
  readonly handshakeTimeoutMs?: number;
}

export interface Obfs2ClientOptions extends ClientOptions, Obfs2Seams {}

export interface Obfs2ClientArgs {
  readonly secret?: SharedSecret;
}

/** Reads `shared-secret` from args or options; other keys are ignored, as obfs4proxy does. */
function parseSecret(args: PtArgs, iterations: number, where: string): SharedSecret | undefined {
  const value = argValue(args, SHARED_SECRET_ARG);
  if (value === undefined) return undefined;
  if (value === '') throw new InvalidArgsError(`${where} ${SHARED_SECRET_ARG}= is empty`);
  return sharedSecret(value, iterations);
}

async function handshake(
  socket: Duplex,
  initiator: boolean,
  secret: SharedSecret | undefined,
  timeoutMs: number,
  rng: RandomSource | undefined,
  signal: AbortSignal | undefined,
): Promise<CodecStream> {
  const role = initiator ? 'client' : 'server';
  const started = performance.now();
  (socket as Partial<Socket>).setNoDelay?.(true);
  const hs = new Obfs2Handshake({ initiator, secret, rng });
  try {
    socket.write(hs.hello());
    const result = await readUntil(
      socket,
      (chunk) => hs.receive(chunk),
      timeoutMs,
      signal,
      `obfs2 ${role} handshake`,
    );
    const stream = new CodecStream({
      socket,
      codec: new Obfs2Codec(result.keys, initiator),
      name: 'obfs2',
      initial: result.leftover,
    });
    publishHandshake('obfs2', role, true, started);
    return stream;
  } catch (e) {
    if (hs.unreadAtFailure) (socket as Partial<Socket>).resetAndDestroy?.();
    socket.destroy();
    publishHandshake('obfs2', role, false, started, (e as PtError).code);
    throw e;
  }
}

class Obfs2ClientFactory implements ClientFactory<Obfs2ClientArgs> {
  readonly transportName = 'obfs2';
  readonly #opts: Obfs2ClientOptions;

  constructor(opts: Obfs2ClientOptions = {}) {
    this.#opts = opts;
  }

  parseArgs(args: PtArgs): Obfs2ClientArgs {
    const secret = parseSecret(
      args,
      this.#opts.hashIterations ?? SHARED_SECRET_HASH_ITERATIONS,
      'obfs2 bridge argument',
    );
    return secret === undefined ? {} : { secret };
  }

  wrap(socket: Duplex, args: Obfs2ClientArgs, opts: HandshakeOptions = {}): Promise<CodecStream> {
    return handshake(socket, true, args.secret, HANDSHAKE_TIMEOUT_MS, this.#opts.rng, opts.signal);
  }
}

export class Obfs2ServerFactory implements ServerFactory {
  readonly transportName = 'obfs2';
  /** Nothing is published: a shared secret is given to clients out of band, never in SMETHOD. */
  readonly clientArgs: PtArgs = new Map();
  readonly #opts: Obfs2ServerOptions;
  readonly #secret: SharedSecret | undefined;

  constructor(opts: Obfs2ServerOptions = {}) {
    this.#opts = opts;
    this.#secret = parseSecret(
      opts.options ?? new Map(),
      opts.hashIterations ?? SHARED_SECRET_HASH_ITERATIONS,
      'obfs2 server option',
    );
  }

  /** Whether clients need `shared-secret=` to connect. */
  get usesSharedSecret(): boolean {
    return this.#secret !== undefined;
  }

  /** A torrc Bridge line for this server at `address` (host:port), fingerprint optional. */
  bridgeLine(address: string, fingerprint?: string): string {
    const fp = fingerprint === undefined ? '' : ` ${fingerprint}`;
    const secret = this.#secret === undefined ? '' : ` ${SHARED_SECRET_ARG}=<the shared secret>`;
    return `Bridge obfs2 ${address}${fp}${secret}`;
  }

  accept(socket: Duplex, opts: HandshakeOptions = {}): Promise<CodecStream> {
    const timeoutMs = this.#opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    return handshake(socket, false, this.#secret, timeoutMs, this.#opts.rng, opts.signal);
  }
}

export const obfs2Transport: Transport = {
  name: 'obfs2',
  // A shared secret is handed to clients out of band: it is never published.
  identity: statelessIdentity('obfs2'),
  createClient(opts?: ClientOptions): ClientFactory {
    return new Obfs2ClientFactory(opts);
  },
  createServer(opts: Obfs2ServerOptions): Promise<Obfs2ServerFactory> {
    // The constructor validates the options; a bad one becomes a rejection.
    return new Promise((resolve) => resolve(new Obfs2ServerFactory(opts)));
  },
};

/** host, port, signal, connector (direct or an upstream proxy), socket: see DialTarget. */
export interface Obfs2DialOptions extends DialTarget {
  /** The Python obfsproxy's shared-secret extension; the server must have the same secret. */
  sharedSecret?: string;
}

/** Library API. Import as `import { obfs2 } from 'steppe'`. Passively breakable: old bridges only. */
export const obfs2 = {
  transport: obfs2Transport,

  /**
   * Connects to an obfs2 server and resolves with a Duplex once the handshake is done.
   * Rejects with InvalidArgsError for an empty shared secret, PtError ERR_CONNECT when the server
   * is unreachable, HandshakeError when the handshake fails (a different shared secret shows as
   * ERR_HANDSHAKE_INVALID) or times out (30 s).
   */
  async dial(opts: Obfs2DialOptions): Promise<CodecStream> {
    const factory = new Obfs2ClientFactory();
    const args = factory.parseArgs(
      new Map(opts.sharedSecret === undefined ? [] : [[SHARED_SECRET_ARG, [opts.sharedSecret]]]),
    );
    const socket = await openDialSocket(opts);
    return factory.wrap(socket, args, opts.signal ? { signal: opts.signal } : {});
  },

  /** An obfs2 server factory; `sharedSecret` turns on the Python extension. */
  createServer(
    opts: Obfs2ServerOptions & { sharedSecret?: string } = {},
  ): Promise<Obfs2ServerFactory> {
    const options = new Map(opts.options ?? []);
    if (opts.sharedSecret !== undefined) options.set(SHARED_SECRET_ARG, [opts.sharedSecret]);
    return new Promise((resolve) => resolve(new Obfs2ServerFactory({ ...opts, options })));
  },
};
