/**
 * obfs4, wire-compatible with obfs4proxy 0.0.14 and lyrebird: the Transport used by managed mode
 * and the standalone tunnel, and a small library API (`obfs4.dial`, `obfs4.createServer`).
 */
import { openDialSocket, type DialTarget } from '../../net/connector.js';
import { ptArgs } from '../types.js';
import type { IatMode } from './constants.js';
import type { Obfs4Stream } from './stream.js';
import {
  Obfs4ClientFactory,
  obfs4Transport,
  type Obfs4ServerFactory,
  type Obfs4ServerOptions,
} from './transport.js';

export { encodeCert, decodeCert, parseClientArgs, STATE_FILE, BRIDGE_LINE_FILE } from './state.js';
export { REPLAY_FILE } from './replay-store.js';
export {
  Obfs4ServerFactory,
  obfs4Transport,
  type Obfs4ClientArgs,
  type Obfs4ServerOptions,
} from './transport.js';
export type { ServerState } from './state.js';
export type { IatMode } from './constants.js';
export type { Obfs4Stream } from './stream.js';

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
