/**
 * The share string: everything a client needs to reach a server, in one line that fits a chat
 * message or a QR code.
 *
 *   steppe://<transport>@<host>:<port>?<key>=<value>&<key>=<value>[#<label>]
 *   steppe://obfs4@203.0.113.5:443?cert=p9L6...&iat-mode=0
 *   steppe://obfs4@[2001:db8::5]:443?cert=...&iat-mode=0#home
 *
 * - transport: the transport's name (a C identifier, as in pt-spec);
 * - host: an IPv4 address, a bracketed IPv6 address, or a host name;
 * - the query: the transport's client args, the same keys and values as the bridge line's
 *   `k=v` pairs. Values are percent-encoded where needed (`%`, `&`, `#`, `+`, spaces, non-ASCII);
 *   a literal `+` is a plus sign, never a space, so a base64 cert pasted unencoded still works;
 * - the label after `#` is a name for people and is ignored by steppe.
 */
import { formatHostPort, parseHostPort, type HostPort } from '../net/address.js';

export const SHARE_SCHEME = 'steppe';

export interface ShareInfo {
  readonly transport: string;
  readonly server: HostPort;
  /** Transport args in order; each key once. */
  readonly args: ReadonlyMap<string, string>;
  readonly label?: string;
}

/** A malformed share string; the message says what is wrong, without the string's secrets. */
export class ShareStringError extends Error {
  override readonly name = 'ShareStringError';
}

const EXAMPLE = 'steppe://obfs4@203.0.113.5:443?cert=...&iat-mode=0';

function encodePart(s: string): string {
  // encodeURIComponent, but keep the characters RFC 3986 allows in a query literally, so that
  // base64 (`/`, `=`) stays readable; `+` is encoded because form decoders turn it into a space.
  return encodeURIComponent(s).replace(/%(2F|3D|3A|40|2C)/g, (m) => decodeURIComponent(m));
}

export function encodeShare(info: ShareInfo): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(info.transport)) {
    throw new TypeError(`transport name ${JSON.stringify(info.transport)} is not a C identifier`);
  }
  const query = [...info.args]
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodePart(v)}`)
    .join('&');
  const label = info.label === undefined || info.label === '' ? '' : `#${encodePart(info.label)}`;
  return `${SHARE_SCHEME}://${info.transport}@${formatHostPort(info.server)}${query === '' ? '' : `?${query}`}${label}`;
}

function decodePart(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ShareStringError(`invalid share string: ${what} has a broken %-escape`);
  }
}

/**
 * Parses a share string. Surrounding whitespace and quotes (from copy and paste) are ignored.
 * @throws ShareStringError with a one-line message naming the problem.
 */
export function parseShare(input: string): ShareInfo {
  const s = input.trim().replace(/^(['"])(.*)\1$/s, '$2');
  if (s === '') throw new ShareStringError(`empty share string; expected ${EXAMPLE}`);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(s);
  if (scheme === null) {
    throw new ShareStringError(
      `invalid share string: it must start with "${SHARE_SCHEME}://", e.g. ${EXAMPLE}`,
    );
  }
  if (scheme[1]?.toLowerCase() !== SHARE_SCHEME) {
    throw new ShareStringError(
      `invalid share string: scheme "${scheme[1] ?? ''}://" is not "${SHARE_SCHEME}://"`,
    );
  }
  let rest = s.slice(scheme[0].length);
  if (/\s/.test(rest)) {
    throw new ShareStringError(
      'invalid share string: it contains whitespace (copy it as one line; write spaces as %20)',
    );
  }
  let label: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    label = decodePart(rest.slice(hash + 1), 'the label');
    rest = rest.slice(0, hash);
  }
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  const at = rest.indexOf('@');
  if (at < 0) {
    throw new ShareStringError(
      `invalid share string: no transport name before "@" (expected ${EXAMPLE})`,
    );
  }
  const transport = rest.slice(0, at);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(transport)) {
    throw new ShareStringError(
      `invalid share string: transport ${JSON.stringify(transport)} is not a transport name (letters, digits, _)`,
    );
  }
  const hostPort = rest.slice(at + 1);
  if (hostPort.includes('/')) {
    throw new ShareStringError(
      'invalid share string: unexpected "/" after the address (the args follow "?")',
    );
  }
  let server: HostPort;
  try {
    server = parseHostPort(hostPort);
  } catch (e) {
    throw new ShareStringError(`invalid share string: bad server address: ${(e as Error).message}`);
  }
  const args = new Map<string, string>();
  if (query !== '') {
    for (const part of query.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) {
        const shown = decodePart(part, 'an argument').slice(0, 20);
        throw new ShareStringError(
          eq === 0
            ? 'invalid share string: an argument has an empty name before "="'
            : `invalid share string: argument ${JSON.stringify(shown)} has no "=value"`,
        );
      }
      const key = decodePart(part.slice(0, eq), 'an argument name');
      const value = decodePart(part.slice(eq + 1), `argument ${JSON.stringify(key)}`);
      if (args.has(key)) {
        throw new ShareStringError(`invalid share string: argument "${key}" appears twice`);
      }
      args.set(key, value);
    }
  }
  return label === undefined || label === ''
    ? { transport, server, args }
    : { transport, server, args, label };
}
