/**
 * The server half of the standalone tunnel (Python obfsproxy's external "server" and
 * "ext_server" modes, brought back): accept transport clients on a listener, run the server
 * handshake, and forward each connection to
 *
 * - a fixed target (`--forward host:port`), optionally preceded by a PROXY protocol v2 header
 *   carrying the client's address;
 * - tor's Extended ORPort (`--forward host:port --ext-cookie-file F`), with SAFE_COOKIE auth and
 *   the client's address as USERADDR;
 * - a per-connection target chosen by the client (`--forward socks`): a SOCKS5 exchange inside
 *   the tunnel (see inner-socks.ts).
 *
 * Transport-neutral: it drives any ServerFactory.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { publishConnectionClosed, publishConnectionOpened } from '../diagnostics.js';
import { dialOr } from '../extorport/client.js';
import { AcceptErrorReport } from '../net/accept-errors.js';
import { formatHostPort, type HostPort } from '../net/address.js';
import { listenTcp, type Listener } from '../net/listen.js';
import { holdPending } from '../net/pending.js';
import { SignalScope } from '../net/scope.js';
import { connectTcp } from '../net/proxy.js';
import { relay, type RelayResult } from '../net/relay.js';
import { serveSocks } from '../socks/server.js';
import type { Logger } from '../log/logger.js';
import type { ServerFactory } from '../transports/types.js';
import { encodeProxyV2, unmapIpv4 } from './proxy-v2.js';
import type { TunnelStats } from './stats.js';
import { forwardedPeer } from '../transports/forwarded-peer.js';

/** The client a transport saw behind a reverse proxy (webtunnel's X-Forwarded-For), host:port. */
export function realPeer(stream: Duplex, socket: Socket): string | undefined {
  const host = forwardedPeer(stream);
  return host === undefined ? undefined : formatHostPort({ host, port: socket.remotePort ?? 0 });
}

export type ForwardTarget =
  | { readonly kind: 'fixed'; readonly target: HostPort; readonly proxyProtocol: boolean }
  | { readonly kind: 'extorport'; readonly target: HostPort; readonly cookieFile: string }
  | { readonly kind: 'socks' };

export interface TunnelHandlerOptions {
  readonly factory: ServerFactory;
  readonly forward: ForwardTarget;
  readonly logger: Logger;
  readonly stats?: TunnelStats;
  /** Bound on connecting to the forward target (default 30 s). */
  readonly connectTimeoutMs?: number;
}

/** What a tunnel server does with each accepted socket (a worker process runs only this). */
export interface TunnelHandler {
  handle(socket: Socket): void;
  /** Ends every open connection and lets the transport save its state. */
  close(): Promise<void>;
}

export interface TunnelServerOptions extends TunnelHandlerOptions {
  readonly listen: HostPort;
  /** What to call the listen address in error messages: "--listen", "listen in FILE". */
  readonly setting?: string;
  /**
   * `--workers`: accepted sockets are paused, unread, and given to this (a WorkerPool) instead
   * of being handled here. The handler still closes the factory (the primary's replay filter).
   */
  readonly handOff?: (socket: Socket) => void;
}

export interface TunnelServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: HostPort;
  /** Stops accepting, ends every open connection. */
  close(): Promise<void>;
}

/** `1.2.3.4:5678` / `[2001:db8::1]:5678`; an IPv4 peer of a dual-stack listener as IPv4. */
export function peerAddress(socket: Socket): string {
  const host = unmapIpv4(socket.remoteAddress ?? '');
  return host === '' ? '?' : formatHostPort({ host, port: socket.remotePort ?? 0 });
}

/** A short description of the forward target for logs and the startup line. */
export function describeForward(f: ForwardTarget): string {
  switch (f.kind) {
    case 'fixed':
      return `${formatHostPort(f.target)}${f.proxyProtocol ? ' (with a PROXY v2 header)' : ''}`;
    case 'extorport':
      return `tor's Extended ORPort ${formatHostPort(f.target)}`;
    case 'socks':
      return 'per-connection targets (SOCKS5 inside the tunnel)';
  }
}

/**
 * Starts listening.
 * @throws PtError('ERR_INVALID_CONFIG') when the listener cannot be opened (port in use, ...).
 */
export async function startTunnelServer(opts: TunnelServerOptions): Promise<TunnelServer> {
  const handler = createTunnelHandler(opts);
  const listener: Listener = await listenTcp({
    host: opts.listen.host,
    port: opts.listen.port,
    dualStack: true,
    ...(opts.setting === undefined ? {} : { setting: opts.setting }),
    acceptErrors: new AcceptErrorReport(`${opts.factory.transportName} listener`, (m) =>
      opts.logger.error(m),
    ),
    pauseOnConnect: opts.handOff !== undefined,
    onConnection: opts.handOff ?? ((socket) => handler.handle(socket)),
  });
  let closed = false;
  return {
    address: listener.address,
    close: async () => {
      if (closed) return;
      closed = true;
      await listener.close();
      await handler.close();
    },
  };
}

/** Runs the handshake and the forwarding of each socket it is given. */
export function createTunnelHandler(opts: TunnelHandlerOptions): TunnelHandler {
  const { factory, logger, stats } = opts;
  const name = factory.transportName;
  const abort = new AbortController();
  // One signal per connection under the server's, so that it keeps a single listener.
  const connections = new SignalScope(abort.signal);
  const sockets = new Set<Duplex>();
  let closing = false;

  const track = (s: Duplex): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const connectTimeoutMs = opts.connectTimeoutMs ?? 30_000;

  const handle = async (socket: Socket): Promise<void> => {
    const peer = peerAddress(socket);
    const shown = logger.addr(peer);
    const started = Date.now();
    logger.debug(`${name}(${shown}) - new connection`);
    const { signal } = connections.open(socket);
    let stream: Duplex;
    try {
      stream = await factory.accept(socket, { signal });
    } catch (e) {
      // The transport owns the socket and closes it the way its probe resistance wants.
      logger.warn(`${name}(${shown}) - handshake failed: ${(e as Error).message}`);
      return;
    }
    track(stream);
    const f = opts.forward;
    if (f.kind === 'socks') {
      await serveSocksForward(stream, shown, started, signal);
      return;
    }

    // Until the relay takes the stream over, a reset from the client must neither go unheard
    // (an unhandled 'error' would end the process) nor leave the connect running for nobody.
    const pending = holdPending(stream, signal);
    let out: Socket | undefined;
    let failure: unknown;
    try {
      if (f.kind === 'fixed') {
        out = await connectTcp(f.target, { signal: pending.signal, timeoutMs: connectTimeoutMs });
        if (f.proxyProtocol) {
          out.write(
            encodeProxyV2(
              { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
              { address: socket.localAddress ?? '', port: socket.localPort ?? 0 },
            ),
          );
        }
      } else {
        out = await dialOr({
          extOrPort: f.target,
          orPort: null,
          authCookieFile: f.cookieFile,
          userAddr: realPeer(stream, socket) ?? peer,
          transport: name,
          signal: pending.signal,
        });
      }
    } catch (e) {
      failure = e;
    }
    const gone = pending.release();
    if (gone !== undefined || out === undefined) {
      out?.destroy();
      stream.destroy();
      if (gone !== undefined) {
        logger.info(
          `${name}(${shown}) - client left before the forward connected: ${gone.message}`,
        );
      } else {
        stats?.connectFailed();
        logger.error(`${name}(${shown}) - cannot forward: ${msg(failure)}`);
      }
      return;
    }
    track(out);
    const finish = stats?.open(out, 'written');
    publishConnectionOpened(name, 'server');
    logger.info(`${name}(${shown}) - forwarding`);
    // tor never half-closes an OR connection: towards it the first EOF ends the connection, as
    // in obfs4proxy's copyLoop. Other services get TCP half-close passed through.
    const r = await relay(stream, out, { signal, halfClose: f.kind !== 'extorport' });
    const b = finish?.() ?? { up: r.aToB, down: r.bToA };
    if (r.error !== undefined && !closing) {
      logger.info(`${name}(${shown}) - closed connection: ${r.error.message}`);
    } else {
      logger.info(`${name}(${shown}) - closed connection`);
    }
    publishConnectionClosed(name, 'server', started, b.up, b.down, r.error);
  };

  const serveSocksForward = async (
    stream: Duplex,
    shown: string,
    started: number,
    signal: AbortSignal,
  ): Promise<void> => {
    const conn: {
      finish: (() => { up: number; down: number }) | null;
      target: string;
      connected: boolean;
    } = { finish: null, target: '?', connected: false };
    const done = (r: RelayResult): void => {
      const b = conn.finish?.() ?? { up: r.aToB, down: r.bToA };
      publishConnectionClosed(name, 'server', started, b.up, b.down, r.error);
    };
    try {
      const session = await serveSocks(stream, {
        args: 'raw',
        signal,
        halfClose: true,
        onConnect: async (req, sig) => {
          conn.target = logger.addr(formatHostPort(req.target));
          let out: Socket;
          try {
            out = await connectTcp(req.target, { signal: sig, timeoutMs: connectTimeoutMs });
          } catch (e) {
            stats?.connectFailed();
            throw e;
          }
          track(out);
          conn.connected = true;
          conn.finish = stats?.open(out, 'written') ?? null;
          publishConnectionOpened(name, 'server');
          return out;
        },
      });
      logger.info(`${name}(${shown}) - closed connection to ${conn.target}`);
      done(session.relay);
    } catch (e) {
      // serveSocks has answered the client (where SOCKS has a reply) and closes the stream.
      const to = conn.target === '?' ? '' : ` (${conn.target})`;
      // A client that closes before asking anything (steppe client's startup check) is normal.
      const quiet = /closed while reading the SOCKS version/.test(msg(e));
      const line = `${name}(${shown}) - SOCKS request failed${to}: ${msg(e)}`;
      if (quiet) logger.debug(line);
      else logger.warn(line);
      if (conn.connected) done({ aToB: 0, bToA: 0, error: e as Error });
    }
  };

  return {
    handle: (socket) => {
      if (closing) {
        socket.destroy();
        return;
      }
      track(socket);
      void handle(socket);
    },
    close: async () => {
      if (closing) return;
      closing = true;
      abort.abort(new Error('server stopping'));
      for (const s of sockets) s.destroy();
      // The transport saves what must outlive the process (obfs4: the replay filter).
      await factory.close?.();
    },
  };
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
