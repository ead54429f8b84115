/**
 * HTTP CONNECT tunnelling (RFC 9110 §9.3.6) for TOR_PT_PROXY=http://[user:pass@]ip:port, which
 * is what tor's HTTPSProxy option becomes. Sans-IO: the request is plain bytes, and the response
 * parser stops at the blank line so that any bytes after it belong to the tunnel.
 */
import { formatHostPort, type HostPort } from './address.js';
import { UpstreamProxyError } from './upstream-socks5.js';

/** Largest response head we accept from a proxy (status line and headers). */
export const MAX_HTTP_HEAD = 16 * 1024;

export function encodeHttpConnect(
  target: HostPort,
  credentials?: { username: string; password: string },
): Uint8Array {
  const authority = formatHostPort(target);
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (credentials !== undefined) {
    const token = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString(
      'base64',
    );
    lines.push(`Proxy-Authorization: Basic ${token}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export interface HttpConnectResponse {
  readonly status: number;
  readonly reason: string;
}

/** SOCKS5 reply code closest to an HTTP status from a proxy, for our own client's benefit. */
function replyForStatus(status: number): number {
  if (status === 403 || status === 407) return 2; // not allowed
  if (status === 502) return 5; // the proxy could not connect: usually refused/reset
  if (status === 504) return 6; // timeout
  if (status === 404 || status === 503) return 4; // host unreachable
  return 1;
}

/**
 * Parses the response head; a 2xx status is success.
 * @throws UpstreamProxyError for any other status or a malformed head.
 */
export function parseHttpConnectResponse(
  buf: Uint8Array,
): { value: HttpConnectResponse; consumed: number } | null {
  const end = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > MAX_HTTP_HEAD) {
      throw new UpstreamProxyError(
        `the HTTP proxy sent a response head over ${MAX_HTTP_HEAD} bytes`,
        1,
      );
    }
    return null;
  }
  const head = Buffer.from(buf.subarray(0, end)).toString('latin1');
  const statusLine = head.split('\r\n', 1)[0] ?? '';
  const m = /^HTTP\/1\.[01] ([0-9]{3})(?: (.*))?$/.exec(statusLine);
  if (m === null) {
    throw new UpstreamProxyError(
      `the upstream proxy did not answer like an HTTP proxy (${JSON.stringify(statusLine.slice(0, 40))})`,
      1,
    );
  }
  const status = Number(m[1]);
  const reason = (m[2] ?? '').replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
  if (status < 200 || status > 299) {
    const hint = status === 407 ? ' (check the user name and password in TOR_PT_PROXY)' : '';
    throw new UpstreamProxyError(
      `the upstream HTTP proxy refused CONNECT: ${status} ${reason}${hint}`,
      replyForStatus(status),
    );
  }
  return { value: { status, reason }, consumed: end + 4 };
}
