/**
 * Outgoing TCP connections: directly, or through the upstream proxy that tor hands a client PT
 * in TOR_PT_PROXY (socks5, socks4a or http CONNECT), with the source address from
 * TOR_PT_OUTBOUND_BIND_ADDRESS_V4/V6. The proxy URI and its validation are in proxy-config.ts.
 */
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, isIPv6, type Socket } from 'node:net';
import { PtError } from '../errors.js';
import { formatHostPort, isLoopback, type HostPort } from './address.js';
import { deadline } from './deadline.js';
import { withResolvers } from './resolvers.js';
import { ByteReader, writeAll } from './reader.js';
import {
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  parseConnectReply,
  parseMethodChoice,
  parseUserPassReply,
} from './upstream-socks5.js';
import { encodeSocks4aConnect, parseSocks4Reply } from './upstream-socks4.js';
import { encodeHttpConnect, MAX_HTTP_HEAD, parseHttpConnectResponse } from './upstream-http.js';

export {
  formatProxy,
  parseProxyUri,
  type OutboundBind,
  type ParseProxyUriOptions,
  type ProxyConfig,
  type ProxyScheme,
} from './proxy-config.js';
import { formatProxy, type OutboundBind, type ProxyConfig } from './proxy-config.js';

export interface ConnectOptions {
  /** Upstream proxy to tunnel through (TOR_PT_PROXY); direct when absent or null. */
  readonly proxy?: ProxyConfig | null;
  readonly signal?: AbortSignal;
  /** Explicit source address; overrides `outboundBind`. */
  readonly localAddress?: string;
  /** Source addresses per family; pt-spec says they are ignored for loopback destinations. */
  readonly outboundBind?: OutboundBind;
  /** Bound on TCP connect plus proxy negotiation. Default 30 s. */
  readonly timeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/**
 * Opens a TCP connection to `target`, directly or through `opts.proxy`, and resolves with the
 * socket once the tunnel is ready (paused; bytes the proxy sent past its reply are pushed back).
 * Sockets are created with allowHalfOpen, TCP_NODELAY and keep-alive, as Go's net does.
 * @throws PtError ERR_CONNECT (target unreachable), ERR_PROXY (proxy unreachable or refused;
 *   an UpstreamProxyError carries the SOCKS reply code), ERR_ABORTED; `cause` holds the errno.
 */
export async function connectTcp(target: HostPort, opts: ConnectOptions = {}): Promise<Socket> {
  const limit = deadline(opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, opts.signal);
  try {
    return await connectWithin(target, opts, limit.signal);
  } finally {
    limit.dispose();
  }
}

async function connectWithin(
  target: HostPort,
  opts: ConnectOptions,
  signal: AbortSignal,
): Promise<Socket> {
  const proxy = opts.proxy ?? null;
  const first: HostPort = proxy ?? target;

  let socket: Socket;
  try {
    socket = await openSocket(first, opts, signal);
  } catch (e) {
    if (e instanceof PtError && e.code === 'ERR_ABORTED') throw e;
    const why = describeNetError(e);
    if (proxy !== null) {
      throw new PtError(
        'ERR_PROXY',
        `cannot reach the upstream proxy ${formatProxy(proxy)} (TOR_PT_PROXY): ${why}`,
        { cause: e },
      );
    }
    throw new PtError('ERR_CONNECT', `cannot connect to ${formatHostPort(target)}: ${why}`, {
      cause: e,
    });
  }
  if (proxy === null) return socket;
  try {
    await negotiate(socket, proxy, target, signal);
    return socket;
  } catch (e) {
    socket.destroy();
    throw e;
  }
}

function describeNetError(e: unknown): string {
  if (e instanceof PtError) return e.message;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.includes(code) ? `${code} ${e.message}` : e.message;
  }
  return String(e);
}

/**
 * The source address pt-spec asks for when connecting to `destIp`: the bind address of the
 * destination's family, or none for loopback destinations and unset families.
 */
export function sourceAddressFor(
  destIp: string,
  bind: OutboundBind | undefined,
): string | undefined {
  if (bind === undefined || isLoopback(destIp)) return undefined;
  return isIPv6(destIp) ? bind.v6 : bind.v4;
}

async function pickLocalAddress(
  dest: HostPort,
  opts: ConnectOptions,
): Promise<{ host: string; local?: string }> {
  if (opts.localAddress !== undefined) return { host: dest.host, local: opts.localAddress };
  const bind = opts.outboundBind;
  if (bind === undefined || (bind.v4 === undefined && bind.v6 === undefined))
    return { host: dest.host };
  // The source address must match the destination's family, so resolve names first.
  const host = isIP(dest.host) === 0 ? (await lookup(dest.host)).address : dest.host;
  const local = sourceAddressFor(host, bind);
  return local === undefined ? { host } : { host, local };
}

async function openSocket(
  dest: HostPort,
  opts: ConnectOptions,
  signal: AbortSignal,
): Promise<Socket> {
  if (signal.aborted) throw abortError(signal);
  const { host, local } = await pickLocalAddress(dest, opts);
  const s = netConnect({
    host,
    port: dest.port,
    allowHalfOpen: true,
    noDelay: true,
    keepAlive: true,
    keepAliveInitialDelay: 15_000,
    ...(local === undefined ? {} : { localAddress: local }),
  });
  return new Connecting(s, signal).done;
}

/**
 * A socket until it connects, fails or the signal aborts. The listeners are bound methods and
 * the signal's is the object itself, not closures made per connect (see resolvers.ts).
 */
class Connecting {
  readonly #r = withResolvers<Socket>();
  readonly #onConnect = this.#connected.bind(this);
  readonly #onError = this.#failed.bind(this);

  constructor(
    private readonly s: Socket,
    private readonly signal: AbortSignal,
  ) {
    s.once('connect', this.#onConnect);
    s.once('error', this.#onError);
    signal.addEventListener('abort', this, { once: true });
  }

  get done(): Promise<Socket> {
    return this.#r.promise;
  }

  #cleanup(): void {
    this.s.off('connect', this.#onConnect);
    this.s.off('error', this.#onError);
    this.signal.removeEventListener('abort', this);
  }

  #connected(): void {
    this.#cleanup();
    // A late error (reset before the owner listens) must not crash the process; owners see 'close'.
    this.s.on('error', ignore);
    this.s.pause();
    this.#r.resolve(this.s);
  }

  #failed(err: Error): void {
    this.#cleanup();
    this.s.destroy();
    this.#r.reject(err);
  }

  /** The signal's 'abort'. */
  handleEvent(): void {
    this.#cleanup();
    this.s.destroy();
    this.#r.reject(abortError(this.signal));
  }
}

function abortError(signal: AbortSignal): PtError {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    // The timeout's DOMException has a read-only `code`: give SOCKS mapping an errno it can use.
    return new PtError('ERR_CONNECT', 'timed out connecting', {
      cause: Object.assign(new Error('connect timed out', { cause: reason }), {
        code: 'ETIMEDOUT',
      }),
    });
  }
  return new PtError('ERR_ABORTED', 'connect aborted', { cause: reason });
}

async function negotiate(
  socket: Socket,
  proxy: ProxyConfig,
  target: HostPort,
  signal: AbortSignal,
): Promise<void> {
  const reader = new ByteReader(socket, 'ERR_PROXY', MAX_HTTP_HEAD + 1);
  try {
    switch (proxy.scheme) {
      case 'socks5': {
        const creds = proxy.username !== undefined && proxy.password !== undefined;
        await writeAll(socket, encodeGreeting(creds));
        const method = await reader.read(parseMethodChoice, {
          signal,
          what: 'the SOCKS5 proxy method choice',
        });
        if (method === 0x02) {
          if (!creds) {
            throw new PtError(
              'ERR_PROXY',
              'the upstream SOCKS5 proxy requires a user name and password; add them to the proxy setting',
            );
          }
          await writeAll(socket, encodeUserPass(proxy.username ?? '', proxy.password ?? ''));
          await reader.read(parseUserPassReply, {
            signal,
            what: 'the SOCKS5 proxy authentication reply',
          });
        } else if (method !== 0x00) {
          throw new PtError(
            'ERR_PROXY',
            `the upstream SOCKS5 proxy chose unsupported method ${method}`,
          );
        }
        await writeAll(socket, encodeConnect(target));
        await reader.read(parseConnectReply, { signal, what: 'the SOCKS5 proxy CONNECT reply' });
        break;
      }
      case 'socks4a':
        await writeAll(socket, encodeSocks4aConnect(target, proxy.username ?? ''));
        await reader.read(parseSocks4Reply, { signal, what: 'the SOCKS4a proxy reply' });
        break;
      case 'http': {
        const creds =
          proxy.username === undefined
            ? undefined
            : { username: proxy.username, password: proxy.password ?? '' };
        await writeAll(socket, encodeHttpConnect(target, creds));
        await reader.read(parseHttpConnectResponse, {
          signal,
          what: 'the HTTP proxy CONNECT response',
        });
        break;
      }
    }
  } finally {
    const orphan = reader.release();
    // The proxy closed right after its reply and data; nothing can use those bytes any more.
    if (orphan.length > 0) socket.destroy();
  }
}

function ignore(): void {
  // deliberately empty
}
