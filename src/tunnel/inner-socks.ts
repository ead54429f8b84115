/**
 * The framing of `steppe server --forward socks`: once the transport handshake is done, the
 * tunnel carries a plain SOCKS5 exchange (RFC 1928, "no authentication", CONNECT), so the
 * server is simply a SOCKS5 server reachable only through the obfuscated tunnel. Any SOCKS5
 * client chained behind any obfs4 client can use it.
 *
 * steppe's client pipelines the exchange into one round trip: it writes the greeting and the
 * CONNECT request together, then reads the method choice and the reply.
 *
 *   client → server   05 01 00                          greeting: one method, "no auth"
 *                     05 01 00 ATYP DST.ADDR DST.PORT   CONNECT (IPv4, IPv6 or a host name,
 *                                                       resolved by the server)
 *   server → client   05 00                             method chosen
 *                     05 REP 00 ATYP BND.ADDR BND.PORT  REP 0: connected, data follows
 */
import type { Duplex } from 'node:stream';
import { formatHostPort, type HostPort } from '../net/address.js';
import { deadline } from '../net/deadline.js';
import { ByteReader, writeAll } from '../net/reader.js';
import {
  encodeConnect,
  encodeGreeting,
  parseConnectReply,
  parseMethodChoice,
  socks5ReplyText,
  UpstreamProxyError,
} from '../net/upstream-socks5.js';
import { SocksError, SocksReply, type SocksReplyCode } from '../socks/reply.js';
import { PtError } from '../errors.js';

/** Bound on the in-tunnel exchange; the server's own SOCKS deadline is 5 s plus its connect. */
export const INNER_SOCKS_TIMEOUT_MS = 40_000;

/**
 * Asks the server at the other end of `stream` to connect to `target`. Resolves once it has,
 * with bytes past the reply left in the stream.
 * @throws SocksError carrying the server's reply code (connection refused, host unreachable,
 *   ...), or PtError('ERR_SOCKS') when the tunnel closes or the server does not speak SOCKS5
 *   (a server not started with --forward socks).
 */
export async function requestThroughTunnel(
  stream: Duplex,
  target: HostPort,
  signal?: AbortSignal,
): Promise<void> {
  const limit = deadline(INNER_SOCKS_TIMEOUT_MS, signal);
  const sig = limit.signal;
  const reader = new ByteReader(stream, 'ERR_SOCKS', 1024);
  const where = formatHostPort(target);
  try {
    await writeAll(stream, Buffer.concat([encodeGreeting(false), encodeConnect(target)]));
    const method = await reader.read(parseMethodChoice, {
      signal: sig,
      what: 'the server’s SOCKS5 method choice',
    });
    if (method !== 0x00) throw notSocks();
    await reader.read(parseConnectReply, { signal: sig, what: 'the server’s SOCKS5 reply' });
  } catch (e) {
    throw describe(e, where);
  } finally {
    limit.dispose();
    reader.release();
  }
}

function notSocks(cause?: unknown): SocksError {
  return new SocksError(
    'the server does not speak SOCKS5 inside the tunnel: start it with --forward socks, or use --listen instead of --socks',
    SocksReply.generalFailure,
    cause === undefined ? undefined : { cause },
  );
}

function describe(e: unknown, where: string): unknown {
  if (e instanceof UpstreamProxyError) {
    const code = e.socksReply as SocksReplyCode;
    if (/answered|not a SOCKS5 server|address type/.test(e.message)) return notSocks(e);
    return new SocksError(
      `the server could not connect to ${where}: ${socks5ReplyText(code)}`,
      code,
      { cause: e },
    );
  }
  if (e instanceof PtError && e.code === 'ERR_SOCKS' && /closed while reading/.test(e.message)) {
    return new SocksError(
      `the server closed the tunnel instead of connecting to ${where} (is it started with --forward socks?)`,
      SocksReply.generalFailure,
      { cause: e },
    );
  }
  return e;
}
