/**
 * Upstream proxy settings: the TOR_PT_PROXY URI parsed and validated the way obfs4proxy's
 * ptGetProxy does (messages say what to change), and TOR_PT_OUTBOUND_BIND_ADDRESS_V4/V6. Apart
 * from proxy.ts, which dials through them, so that a managed client's start (pt/env.ts) does not
 * load the three proxy protocols before a connection needs them.
 */
import { PtError } from '../errors.js';
import { formatHostPort, parseHostPort, type HostPort } from './address.js';

export type ProxyScheme = 'socks5' | 'socks4a' | 'http';

/** A validated upstream proxy. */
export interface ProxyConfig {
  readonly scheme: ProxyScheme;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

export interface ParseProxyUriOptions {
  /**
   * Require the proxy host to be an IP literal (default true). TOR_PT_PROXY always carries one:
   * tor resolves the names in Socks5Proxy/HTTPSProxy itself, and obfs4proxy rejects names.
   */
  readonly requireIpLiteral?: boolean;
}

const USAGE = '<scheme>://[user[:password]@]ip:port, e.g. socks5://127.0.0.1:1080';

function proxyError(message: string): PtError {
  return new PtError('ERR_PROXY', message);
}

function decodeUserinfo(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw proxyError(`proxy URI has a badly percent-encoded ${what}`);
  }
}

/**
 * Parses and validates `<scheme>://[<user>[:<pass>]@]<host>:<port>`.
 * @throws PtError('ERR_PROXY') whose message names the problem and the fix (→ PROXY-ERROR).
 */
export function parseProxyUri(uri: string, opts: ParseProxyUriOptions = {}): ProxyConfig {
  const requireIp = opts.requireIpLiteral ?? true;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(uri);
  if (m === null) {
    throw proxyError(`proxy URI is relative, must be absolute: expected ${USAGE}`);
  }
  const scheme = (m[1] ?? '').toLowerCase();
  let rest = m[2] ?? '';
  const cut = rest.search(/[/?#]/);
  if (cut >= 0) {
    const extra = rest.slice(cut);
    const what = extra.startsWith('/')
      ? 'a path'
      : extra.startsWith('?')
        ? 'a query'
        : 'a fragment';
    throw proxyError(
      `proxy URI has ${what} defined (${JSON.stringify(extra.slice(0, 40))}); remove everything after the port`,
    );
  }
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) {
      username = decodeUserinfo(userinfo.slice(0, colon), 'user name');
      password = decodeUserinfo(userinfo.slice(colon + 1), 'password');
    } else {
      username = decodeUserinfo(userinfo, 'user name');
    }
  }

  switch (scheme) {
    case 'http':
      break;
    case 'socks4a':
      if (password !== undefined) {
        throw proxyError(
          'proxy URI specified SOCKS4a and a password: SOCKS4a has no password field; remove ":password" or use a socks5:// proxy',
        );
      }
      break;
    case 'socks5':
      if (username !== undefined) {
        const ulen = Buffer.byteLength(username, 'utf8');
        if (ulen < 1 || ulen > 255) {
          throw proxyError(
            'proxy URI specified a invalid SOCKS5 username: RFC 1929 needs 1 to 255 bytes',
          );
        }
        const plen = password === undefined ? 0 : Buffer.byteLength(password, 'utf8');
        if (plen < 1 || plen > 255) {
          throw proxyError(
            'proxy URI specified a invalid SOCKS5 password: RFC 1929 needs a user name and a password of 1 to 255 bytes each',
          );
        }
      }
      break;
    default:
      throw proxyError(
        `proxy URI has invalid scheme: ${JSON.stringify(scheme)} (steppe supports socks5, socks4a and http)`,
      );
  }

  let hp: HostPort;
  try {
    hp = parseHostPort(rest, { requireIp });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const hint = why.startsWith('not an IP string')
      ? '; TOR_PT_PROXY must name the proxy by IP address (tor resolves the host names in Socks5Proxy/HTTPSProxy itself)'
      : `; expected ${USAGE}`;
    throw proxyError(`proxy URI has invalid host: ${why}${hint}`);
  }
  const base: ProxyConfig = { scheme, host: hp.host, port: hp.port };
  if (username === undefined) return base;
  return password === undefined ? { ...base, username } : { ...base, username, password };
}

/** `socks5://127.0.0.1:1080` with any password replaced, for logs and messages. */
export function formatProxy(p: ProxyConfig): string {
  const user =
    p.username === undefined
      ? ''
      : `${encodeURIComponent(p.username)}${p.password === undefined ? '' : ':***'}@`;
  return `${p.scheme}://${user}${formatHostPort(p)}`;
}

/** TOR_PT_OUTBOUND_BIND_ADDRESS_V4/V6 (IPv6 without brackets). */
export interface OutboundBind {
  readonly v4?: string;
  readonly v6?: string;
}
