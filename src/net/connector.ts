/**
 * How a library `dial()` reaches its server: a Connector opens the TCP connection, directly or
 * through an upstream proxy (SOCKS5, SOCKS4a, HTTP CONNECT). It is connectTcp, the code managed
 * mode uses for TOR_PT_PROXY, behind a function type, so every transport's dial takes the same
 * option and none carries its own socket code:
 *
 *   const socket = await openDialSocket(opts); // in a transport's dial(opts: DialTarget)
 *
 *   obfs4.dial({ host, port, cert, connector: proxyConnector('socks5://127.0.0.1:9050') })
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { InvalidArgsError } from '../errors.js';
import type { HostPort } from './address.js';
import { connectTcp, parseProxyUri, type OutboundBind, type ProxyConfig } from './proxy.js';

/** Opens a connection to `target` ready for the transport's handshake. */
export type Connector = (target: HostPort, signal?: AbortSignal) => Promise<Socket>;

export interface DirectConnectorOptions {
  /** Source address. */
  readonly localAddress?: string;
  /** Source addresses per family (as TOR_PT_OUTBOUND_BIND_ADDRESS_V4/V6). */
  readonly outboundBind?: OutboundBind;
  /** Bound on the TCP connect (and proxy negotiation). Default 30 s. */
  readonly timeoutMs?: number;
}

/** A plain TCP connection. */
export function directConnector(opts: DirectConnectorOptions = {}): Connector {
  return (target, signal) => connectTcp(target, { ...opts, ...(signal ? { signal } : {}) });
}

/**
 * Through an upstream proxy: a URI (`socks5://[user[:pass]@]host:port`, `socks4a://...`,
 * `http://...`; names allowed for the proxy host) or a parsed ProxyConfig.
 * @throws PtError('ERR_PROXY') for a URI that cannot be used, naming the problem.
 */
export function proxyConnector(
  proxy: string | ProxyConfig,
  opts: DirectConnectorOptions = {},
): Connector {
  const config =
    typeof proxy === 'string' ? parseProxyUri(proxy, { requireIpLiteral: false }) : proxy;
  return (target, signal) =>
    connectTcp(target, { ...opts, proxy: config, ...(signal ? { signal } : {}) });
}

/** Where a library dial() goes and how: the options every transport's dial accepts. */
export interface DialTarget {
  readonly host: string;
  readonly port: number;
  readonly signal?: AbortSignal;
  /** How to reach host:port; default directConnector(). */
  readonly connector?: Connector;
  /** An already connected socket to use instead (the connector is then not called). */
  readonly socket?: Duplex;
}

/** The socket a dial() runs its handshake on: `opts.socket`, or one from the connector. */
export async function openDialSocket(opts: DialTarget): Promise<Duplex> {
  if (opts.socket !== undefined) return opts.socket;
  const { host, port } = opts;
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgsError(`dial: ${JSON.stringify(host)} port ${port} is not an address`);
  }
  return (opts.connector ?? directConnector())({ host, port }, opts.signal);
}
