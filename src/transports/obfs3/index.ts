/**
 * obfs3, wire-compatible with obfs4proxy 0.0.14 and the Python obfsproxy: the Transport used by
 * managed mode and the standalone tunnel, and the library API (`obfs3.dial`,
 * `obfs3.createServer`). obfs3 has no server identity and no bridge-line arguments.
 *
 * A server behaves as obfs4proxy's does, which a prober can see: it sends its public key and
 * padding as soon as a connection opens, closes (FIN) if 192 bytes do not arrive within 30 s or
 * the peer closes first, and otherwise treats the connection as open, relaying to the ORPort
 * once the client's magic is found and closing when 8226 bytes came without it (RST when more
 * was already waiting, as a Go close with unread bytes is).
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RandomSource } from '../../crypto/random.js';
import { publishHandshake } from '../../diagnostics.js';
import type { PtError } from '../../errors.js';
import { openDialSocket, type DialTarget } from '../../net/connector.js';
import { CodecStream } from '../codec-stream.js';
import { readUntil } from '../handshake-io.js';
import { statelessIdentity } from '../stateless-identity.js';
import {
  type ClientFactory,
  type ClientOptions,
  type HandshakeOptions,
  type PtArgs,
  type ServerFactory,
  type ServerOptions,
  type Transport,
} from '../types.js';
import { HANDSHAKE_TIMEOUT_MS } from './constants.js';
import { Obfs3Codec } from './codec.js';
import { Obfs3Handshake } from './handshake.js';

export { deriveObfs3Keys, type Obfs3Keys } from './keys.js';

export interface Obfs3ServerOptions extends Partial<ServerOptions> {
  /** Test seam: the 30 s key-exchange deadline of the reference. */
  readonly handshakeTimeoutMs?: number;
}

/**
 * Runs the key exchange on `socket` for either role and resolves with the data-phase stream.
 * On failure the socket is destroyed (a FIN: everything received was read) and the promise
 * rejects with a HandshakeError.
 */
async function handshake(
  socket: Duplex,
  initiator: boolean,
  timeoutMs: number,
  rng: RandomSource | undefined,
  signal: AbortSignal | undefined,
): Promise<CodecStream> {
  const role = initiator ? 'client' : 'server';
  const started = performance.now();
  (socket as Partial<Socket>).setNoDelay?.(true);
  try {
    const hs = new Obfs3Handshake({ initiator, ...(rng ? { rng } : {}) });
    socket.write(hs.hello());
    const result = await readUntil(
      socket,
      (chunk) => hs.receive(chunk),
      timeoutMs,
      signal,
      `obfs3 ${role} handshake`,
    );
    const stream = new CodecStream({
      socket,
      codec: new Obfs3Codec(result.keys, initiator, rng),
      name: 'obfs3',
      initial: result.leftover,
    });
    publishHandshake('obfs3', role, true, started);
    return stream;
  } catch (e) {
    socket.destroy();
    publishHandshake('obfs3', role, false, started, (e as PtError).code);
    throw e;
  }
}

class Obfs3ClientFactory implements ClientFactory<null> {
  readonly transportName = 'obfs3';
  readonly #rng: RandomSource | undefined;

  constructor(opts: ClientOptions = {}) {
    this.#rng = opts.rng;
  }

  /** obfs3 takes no arguments; unknown ones are ignored, as obfs4proxy ignores them. */
  parseArgs(_args: PtArgs): null {
    return null;
  }

  wrap(socket: Duplex, _args: null, opts: HandshakeOptions = {}): Promise<CodecStream> {
    return handshake(socket, true, HANDSHAKE_TIMEOUT_MS, this.#rng, opts.signal);
  }
}

export class Obfs3ServerFactory implements ServerFactory {
  readonly transportName = 'obfs3';
  readonly clientArgs: PtArgs = new Map();
  readonly #opts: Obfs3ServerOptions;

  constructor(opts: Obfs3ServerOptions = {}) {
    this.#opts = opts;
  }

  /** A torrc Bridge line for this server at `address` (host:port), fingerprint optional. */
  bridgeLine(address: string, fingerprint?: string): string {
    return `Bridge obfs3 ${address}${fingerprint === undefined ? '' : ` ${fingerprint}`}`;
  }

  accept(socket: Duplex, opts: HandshakeOptions = {}): Promise<CodecStream> {
    const timeoutMs = this.#opts.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    return handshake(socket, false, timeoutMs, this.#opts.rng, opts.signal);
  }
}

export const obfs3Transport: Transport = {
  name: 'obfs3',
  identity: statelessIdentity('obfs3'),
  createClient(opts?: ClientOptions): ClientFactory {
    return new Obfs3ClientFactory(opts);
  },
  createServer(opts: Obfs3ServerOptions): Promise<Obfs3ServerFactory> {
    return Promise.resolve(new Obfs3ServerFactory(opts));
  },
};

/** host, port, signal, connector (direct or an upstream proxy), socket: see DialTarget. */
export type Obfs3DialOptions = DialTarget;

/** Library API. Import as `import { obfs3 } from 'steppe'`. */
export const obfs3 = {
  transport: obfs3Transport,

  /**
   * Connects to an obfs3 server and resolves with a Duplex once the key exchange is done.
   * Rejects with PtError ERR_CONNECT when the server is unreachable, HandshakeError when the
   * exchange fails or times out (30 s).
   */
  async dial(opts: Obfs3DialOptions): Promise<CodecStream> {
    const socket = await openDialSocket(opts);
    return new Obfs3ClientFactory().wrap(socket, null, opts.signal ? { signal: opts.signal } : {});
  },

  /** An obfs3 server factory (obfs3 keeps no state; `stateDir` is not needed). */
  createServer(opts: Obfs3ServerOptions = {}): Promise<Obfs3ServerFactory> {
    return Promise.resolve(new Obfs3ServerFactory(opts));
  },
};
