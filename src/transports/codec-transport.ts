/**
 * A transport without a handshake: every connection is a CodecStream over the socket from the
 * first byte (the Python obfsproxy's test transports dummy and b64). Builds the Transport that
 * managed mode and the tunnel use and the library API (`dial`, `createServer`).
 */
import type { Duplex } from 'node:stream';
import { publishHandshake } from '../diagnostics.js';
import { openDialSocket, type DialTarget } from '../net/connector.js';
import { CodecStream, type StreamCodec } from './codec-stream.js';
import { statelessIdentity } from './stateless-identity.js';
import type {
  ClientFactory,
  HandshakeOptions,
  PtArgs,
  ServerFactory,
  ServerOptions,
  Transport,
} from './types.js';

/** host, port, signal, connector (direct or an upstream proxy), socket: see DialTarget. */
export type CodecDialOptions = DialTarget;

export interface CodecTransportApi {
  readonly transport: Transport;
  dial(opts: CodecDialOptions): Promise<CodecStream>;
  createServer(opts?: Partial<ServerOptions>): Promise<ServerFactory>;
}

export function codecTransport(name: string, makeCodec: () => StreamCodec): CodecTransportApi {
  const open = (
    socket: Duplex,
    role: 'client' | 'server',
    signal?: AbortSignal,
  ): Promise<CodecStream> => {
    const started = performance.now();
    if (signal?.aborted) {
      socket.destroy();
      return Promise.reject(signal.reason as Error);
    }
    const stream = new CodecStream({ socket, codec: makeCodec(), name });
    publishHandshake(name, role, true, started);
    return Promise.resolve(stream);
  };
  const client: ClientFactory<null> = {
    transportName: name,
    parseArgs: (_args: PtArgs) => null,
    wrap: (socket: Duplex, _a: null, opts: HandshakeOptions = {}) =>
      open(socket, 'client', opts.signal),
  };
  const server: ServerFactory = {
    transportName: name,
    clientArgs: new Map(),
    accept: (socket: Duplex, opts: HandshakeOptions = {}) => open(socket, 'server', opts.signal),
  };
  const transport: Transport = {
    name,
    identity: statelessIdentity(name),
    createClient: () => client,
    createServer: () => Promise.resolve(server),
  };
  return {
    transport,
    async dial(opts: CodecDialOptions): Promise<CodecStream> {
      const socket = await openDialSocket(opts);
      return client.wrap(
        socket,
        null,
        opts.signal ? { signal: opts.signal } : {},
      ) as Promise<CodecStream>;
    },
    createServer: () => Promise.resolve(server),
  };
}
