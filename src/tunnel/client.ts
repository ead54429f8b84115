/**
 * The client half of the standalone tunnel. A local listener, and for every connection a
 * transport connection to the server (directly or through an upstream proxy):
 *
 * - 'fixed' (`--listen`): the bytes go to whatever target the server forwards to
 *   (Python obfsproxy's external "client" mode);
 * - 'socks' (`--socks`): a SOCKS5/4a front; each request's target is passed through the
 *   tunnel to a server started with `--forward socks` (inner-socks.ts);
 * - 'pt-socks' (`--pt-socks`): a SOCKS5 listener as tor uses a managed client: the request's
 *   target is the server itself and the username/password carry the transport args
 *   (Python obfsproxy's external "socks" mode).
 *
 * Transport-neutral: it drives any ClientFactory.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { publishConnectionClosed, publishConnectionOpened } from '../diagnostics.js';
import { PtError } from '../errors.js';
import { AcceptErrorReport } from '../net/accept-errors.js';
import { formatHostPort, type HostPort } from '../net/address.js';
import { listenTcp, type Listener } from '../net/listen.js';
import { holdPending } from '../net/pending.js';
import { connectTcp, type ProxyConfig } from '../net/proxy.js';
import { relay, type RelayResult } from '../net/relay.js';
import { SignalScope } from '../net/scope.js';
import { serveSocks } from '../socks/server.js';
import type { Logger } from '../log/logger.js';
import type { ClientFactory, PtArgs } from '../transports/types.js';
import { requestThroughTunnel } from './inner-socks.js';
import type { TunnelStats } from './stats.js';

export type ClientMode = 'fixed' | 'socks' | 'pt-socks';

/** Where and how to reach the server. */
export interface ServerEndpoint {
  readonly factory: ClientFactory;
  /** Host name or IP literal; names are resolved at each connection (or by the proxy). */
  readonly server: HostPort;
  /** The transport's client args (obfs4: cert, iat-mode). */
  readonly args: PtArgs;
  readonly proxy: ProxyConfig | null;
  /** Bound on TCP connect plus proxy negotiation (default 30 s). */
  readonly connectTimeoutMs?: number;
}

export interface TunnelClientOptions {
  readonly factory: ClientFactory;
  readonly mode: ClientMode;
  /** Required for 'fixed' and 'socks'; 'pt-socks' takes the server from each SOCKS request. */
  readonly endpoint: ServerEndpoint | null;
  readonly proxy: ProxyConfig | null;
  readonly listen: HostPort;
  readonly logger: Logger;
  readonly stats?: TunnelStats;
  /** What to call the listen address in error messages: "--listen", ... */
  readonly setting?: string;
}

export interface TunnelClient {
  readonly address: HostPort;
  close(): Promise<void>;
}

/**
 * Opens one transport connection to the server and runs the client handshake.
 * @throws InvalidArgsError (bad args), PtError ERR_CONNECT / ERR_PROXY (unreachable),
 *   HandshakeError (timeout, EOF, ...), ERR_ABORTED.
 */
export async function dialServer(ep: ServerEndpoint, signal?: AbortSignal): Promise<Duplex> {
  // Parsed per connection: obfs4 makes the connection's session key here.
  const args = ep.factory.parseArgs(ep.args);
  const target = (await ep.factory.dialTarget?.(args, { proxied: ep.proxy != null })) ?? ep.server;
  const raw = await connectTcp(target, {
    proxy: ep.proxy,
    timeoutMs: ep.connectTimeoutMs ?? 30_000,
    ...(signal === undefined ? {} : { signal }),
  });
  const peer = formatHostPort(ep.server);
  return ep.factory.wrap(raw, args, signal === undefined ? { peer } : { signal, peer });
}

/** What a server would silently refuse in these args, for the startup check's messages. */
function secretOf(args: PtArgs): string {
  if (args.has('password')) return 'the password';
  if (args.has('shared-secret')) return 'the shared secret';
  if (args.has('cert')) return 'the cert';
  return 'an argument';
}

/**
 * The startup check: one handshake with the server within `timeoutMs`, then close. Rejects with
 * a PtError whose message tells the user what is wrong and what to do.
 */
export async function checkServer(ep: ServerEndpoint, timeoutMs: number): Promise<void> {
  const name = ep.factory.transportName;
  const where = formatHostPort(ep.server);
  const timeout = AbortSignal.timeout(timeoutMs);
  let stream: Duplex;
  try {
    stream = await dialServer(ep, timeout);
  } catch (e) {
    if (!(e instanceof PtError)) throw e;
    const secs = `${Math.round(timeoutMs / 100) / 10} s`;
    switch (e.code) {
      case 'ERR_CONNECT':
        if (/timed out/i.test(e.message)) {
          throw new PtError(
            'ERR_CONNECT',
            `cannot reach the server ${where}: no answer to the TCP connection within ${secs} (wrong address, or blocked)`,
            { cause: e },
          );
        }
        throw new PtError('ERR_CONNECT', `cannot reach the server ${where}: ${netReason(e)}`, {
          cause: e,
        });
      case 'ERR_ABORTED':
      case 'ERR_HANDSHAKE_TIMEOUT':
        throw new PtError(
          'ERR_HANDSHAKE_TIMEOUT',
          `the server ${where} accepted the connection but did not answer the ${name} handshake within ${secs}: ${secretOf(ep.args)} is probably wrong (copy it again from the server's bridge line or share string), or no ${name} server listens on that port`,
          { cause: e },
        );
      case 'ERR_HANDSHAKE_EOF':
        throw new PtError(
          'ERR_HANDSHAKE_EOF',
          `the server ${where} closed the connection during the ${name} handshake: ${secretOf(ep.args)} is probably wrong, or no ${name} server listens on that port`,
          { cause: e },
        );
      default:
        throw e;
    }
  }
  stream.destroy();
}

/**
 * Starts the local listener.
 * @throws PtError('ERR_INVALID_CONFIG') when it cannot listen (port in use, ...).
 */
export async function startTunnelClient(opts: TunnelClientOptions): Promise<TunnelClient> {
  const { factory, logger, stats } = opts;
  const name = factory.transportName;
  const abort = new AbortController();
  // One signal per connection under the client's, so that it keeps a single listener.
  const connections = new SignalScope(abort.signal);
  const sockets = new Set<Duplex>();
  let closing = false;
  const ep = opts.endpoint;
  if (opts.mode !== 'pt-socks' && ep === null) {
    throw new TypeError(`mode ${opts.mode} needs a server endpoint`);
  }

  const track = (s: Duplex): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };

  const handleFixed = async (local: Socket, endpoint: ServerEndpoint): Promise<void> => {
    const started = Date.now();
    const { signal } = connections.open(local);
    // A local client that gives up while we dial cancels the dial.
    const pending = holdPending(local, signal);
    let stream: Duplex;
    try {
      stream = await dialServer(endpoint, pending.signal);
    } catch (e) {
      local.destroy();
      if (!closing && pending.release() === undefined) {
        stats?.connectFailed();
        logger.error(`${name} - cannot connect to the server: ${msg(e)}`);
      }
      return;
    }
    if (pending.release() !== undefined) {
      stream.destroy();
      return;
    }
    track(stream);
    const finish = stats?.open(local, 'read');
    publishConnectionOpened(name, 'client');
    const r = await relay(local, stream, { signal, halfClose: true });
    const b = finish?.() ?? { up: r.aToB, down: r.bToA };
    logger.info(`${name} - closed connection (${b.up} bytes up, ${b.down} down)`);
    publishConnectionClosed(name, 'client', started, b.down, b.up, r.error);
  };

  const handleSocks = async (local: Socket): Promise<void> => {
    const started = Date.now();
    const conn: {
      finish: (() => { up: number; down: number }) | null;
      target: string;
      connected: boolean;
    } = { finish: null, target: '?', connected: false };
    const done = (r: RelayResult): void => {
      const b = conn.finish?.() ?? { up: r.aToB, down: r.bToA };
      logger.info(`${name}(${conn.target}) - closed connection (${b.up} bytes up, ${b.down} down)`);
      publishConnectionClosed(name, 'client', started, b.down, b.up, r.error);
    };
    try {
      const session = await serveSocks(local, {
        args: opts.mode === 'pt-socks' ? 'pt' : 'raw',
        signal: connections.open(local).signal,
        halfClose: true,
        onConnect: async (req, sig) => {
          conn.target = logger.addr(formatHostPort(req.target));
          let stream: Duplex;
          try {
            if (opts.mode === 'pt-socks') {
              stream = await dialServer(
                { factory, server: req.target, args: req.args ?? new Map(), proxy: opts.proxy },
                sig,
              );
            } else {
              stream = await dialServer(ep!, sig);
              try {
                await requestThroughTunnel(stream, req.target, sig);
              } catch (e) {
                stream.destroy();
                throw e;
              }
            }
          } catch (e) {
            stats?.connectFailed();
            throw e;
          }
          track(stream);
          conn.connected = true;
          conn.finish = stats?.open(local, 'read') ?? null;
          publishConnectionOpened(name, 'client');
          return stream;
        },
      });
      done(session.relay);
    } catch (e) {
      const to = conn.target === '?' ? '' : ` (${conn.target})`;
      if (!closing) logger.warn(`${name} - SOCKS request failed${to}: ${msg(e)}`);
      if (conn.connected) done({ aToB: 0, bToA: 0, error: e as Error });
    }
  };

  const listener: Listener = await listenTcp({
    host: opts.listen.host,
    port: opts.listen.port,
    ...(opts.setting === undefined ? {} : { setting: opts.setting }),
    acceptErrors: new AcceptErrorReport(`${name} listener`, (m) => logger.error(m)),
    onConnection: (local) => {
      if (closing) {
        local.destroy();
        return;
      }
      track(local);
      local.on('error', ignore);
      if (opts.mode === 'fixed') void handleFixed(local, ep!);
      else void handleSocks(local);
    },
  });

  return {
    address: listener.address,
    close: async () => {
      if (closing) return;
      closing = true;
      await listener.close();
      abort.abort(new Error('client stopping'));
      for (const s of sockets) s.destroy();
    },
  };
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused (nothing listens on that port, or a firewall rejects it)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name cannot be resolved now (DNS unavailable)',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
};

/** A short reason for a failed TCP connect, from the errno in the cause chain. */
function netReason(e: PtError): string {
  let c: unknown = e.cause;
  for (let i = 0; i < 4 && c instanceof Error; i++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (code !== undefined && ERRNO_TEXT[code] !== undefined) return ERRNO_TEXT[code];
    c = c.cause;
  }
  return e.message.replace(/^cannot connect to \S+: /, '');
}

function msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function ignore(): void {
  // deliberately empty
}
