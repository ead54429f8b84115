/**
 * The webtunnel handshake messages, sans-IO (protocols.md §3.5, as lyrebird's client and the
 * webtunnel server speak them): the client sends
 *
 *   GET /<secret path> HTTP/1.1 / Host / Connection: upgrade / Upgrade: websocket
 *
 * with no Sec-WebSocket-Key, the server answers `101 Switching Protocols` with the same
 * Upgrade and Connection, and after that both directions carry raw bytes (no WebSocket
 * framing). lyrebird's Go client also sends Go's default User-Agent; steppe sends a browser's,
 * since a censor may filter on the library one (Xray-core issue 3489), and the server ignores it.
 */
import { isIP, isIPv6 } from 'node:net';
import { header, headerHasToken, type RequestHead, type ResponseHead } from './http-head.js';

/** Debian bookworm's chromium on Linux, as its navigator.userAgent reports it (reduced UA). */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

export interface UpgradeRequestParams {
  /** The URL's path with its leading "/" (percent-encoded as in the URL). */
  readonly path: string;
  /** The URL's host name, without the port (lyrebird sends url.Hostname()). */
  readonly host: string;
  readonly userAgent?: string;
}

export function encodeUpgradeRequest(p: UpgradeRequestParams): Uint8Array {
  const host = isIPv6(p.host) ? `[${p.host}]` : p.host;
  const lines = [
    `GET ${p.path} HTTP/1.1`,
    `Host: ${host}`,
    `User-Agent: ${p.userAgent ?? BROWSER_USER_AGENT}`,
    'Connection: upgrade',
    'Upgrade: websocket',
    '',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

export const SWITCHING_PROTOCOLS: Uint8Array = Buffer.from(
  'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
  'latin1',
);

/** The path part of a request target ("/a/b?x" → "/a/b"); absolute-form targets too. */
export function targetPath(target: string): string {
  let t = target;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(t);
  if (scheme !== null) t = t.slice(scheme[0].length) || '/';
  const q = t.search(/[?#]/);
  return q < 0 ? t : t.slice(0, q);
}

/**
 * Whether a request is the tunnel's: GET on the secret path with the two upgrade headers the
 * webtunnel server checks (it compares nothing else; the reverse proxy chose the path). steppe
 * also requires the secret path, so that a listener reached directly still hides the tunnel.
 */
export function isTunnelRequest(req: RequestHead, secretPath: string): boolean {
  return (
    req.method === 'GET' &&
    req.minor === 1 &&
    targetPath(req.target) === secretPath &&
    headerHasToken(req.headers, 'connection', 'upgrade') &&
    headerHasToken(req.headers, 'upgrade', 'websocket')
  );
}

/** How the client judges the server's answer; `ok` only for what lyrebird accepts. */
export type UpgradeVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: 'redirect'; readonly location: string }
  | { readonly ok: false; readonly kind: 'status' }
  | { readonly ok: false; readonly kind: 'headers' };

export function judgeUpgradeResponse(res: ResponseHead): UpgradeVerdict {
  if (res.status >= 300 && res.status < 400) {
    return { ok: false, kind: 'redirect', location: header(res.headers, 'location') ?? '' };
  }
  if (res.status !== 101) return { ok: false, kind: 'status' };
  const upgrade = header(res.headers, 'upgrade')?.toLowerCase();
  if (upgrade !== 'websocket' || !headerHasToken(res.headers, 'connection', 'upgrade')) {
    return { ok: false, kind: 'headers' };
  }
  return { ok: true };
}

/** The first X-Forwarded-For entry (the client as the reverse proxy saw it), if it is an IP. */
export function forwardedClient(req: RequestHead): string | undefined {
  const xff = header(req.headers, 'x-forwarded-for');
  const first = xff?.split(',')[0]?.trim();
  if (first === undefined || first === '') return undefined;
  const bare = first.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) === 0 ? undefined : bare;
}
