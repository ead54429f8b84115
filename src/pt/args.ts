/**
 * The three k=v encodings of the managed-proxy protocol, with the reference implementations'
 * exact acceptance rules:
 *
 * - per-connection client args, carried in the SOCKS username/password (pt-spec §3.5):
 *   `k=v;k=v` with `\`, `=`, `;` backslash-escaped; parsed like obfs4proxy's
 *   common/socks5/args.go (which is stricter than goptlib about stray escapes);
 * - SMETHOD `ARGS:k=v,k=v`, keys sorted, with `\`, `=`, `,` escaped (goptlib encodeSmethodArgs);
 * - TOR_PT_SERVER_TRANSPORT_OPTIONS, `transport:k=v;transport:k=v` with `\` escapes
 *   (goptlib parseServerTransportOptions).
 */
import { InvalidArgsError } from '../errors.js';

/**
 * Key → values with goptlib's pt.Args semantics. Structurally the same type as PtArgs in
 * transports/types.ts; declared again here because pt/ must not import from transports/.
 */
export type PtArgs = ReadonlyMap<string, readonly string[]>;

type MutableArgs = Map<string, string[]>;

function add(args: MutableArgs, key: string, value: string): void {
  const list = args.get(key);
  if (list === undefined) args.set(key, [value]);
  else list.push(value);
}

/**
 * Parses per-connection args, e.g. `cert=AbC\=\=;iat-mode=0`. An empty string is no args.
 * @throws InvalidArgsError saying where the string is malformed (the SOCKS request then fails).
 */
export function parseClientArgs(s: string): PtArgs {
  const args: MutableArgs = new Map();
  if (s.length === 0) return args;
  let key: string | null = null;
  let acc = '';
  let escaped = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] ?? '';
    if (escaped) {
      // Only the three special characters may be escaped (obfs4proxy rejects "\x").
      if (ch !== '\\' && ch !== '=' && ch !== ';') {
        throw new InvalidArgsError(
          `unexpected "\\" at ${i - 1} in the SOCKS args (only \\\\, \\= and \\; are escapes)`,
        );
      }
      acc += ch;
      escaped = false;
      continue;
    }
    if (ch === '\\') {
      escaped = true;
    } else if (ch === '=' && key === null) {
      if (acc.length === 0)
        throw new InvalidArgsError(`unexpected "=" at ${i} in the SOCKS args: empty key`);
      key = acc;
      acc = '';
    } else if (ch === ';') {
      if (key === null)
        throw new InvalidArgsError(
          `unexpected ";" at ${i} in the SOCKS args: a key has no "=value"`,
        );
      if (i === s.length - 1)
        throw new InvalidArgsError(`unexpected ";" at ${i}: the SOCKS args end with ";"`);
      add(args, key, acc);
      key = null;
      acc = '';
    } else {
      acc += ch;
    }
  }
  if (escaped) throw new InvalidArgsError('the SOCKS args end with an unterminated "\\" escape');
  if (key === null)
    throw new InvalidArgsError(
      `the SOCKS args end with a key that has no "=value" (${JSON.stringify(acc.slice(0, 32))})`,
    );
  add(args, key, acc);
  return args;
}

function escapeChars(s: string, specials: string): string {
  let out = '';
  for (const ch of s) out += ch === '\\' || specials.includes(ch) ? `\\${ch}` : ch;
  return out;
}

/** Inverse of parseClientArgs: `k=v;k=v` in insertion order, escaping `\`, `=`, `;`. */
export function encodeClientArgs(args: PtArgs): string {
  const parts: string[] = [];
  for (const [k, values] of args) {
    if (k.length === 0) throw new RangeError('empty key in client args');
    for (const v of values) parts.push(`${escapeChars(k, '=;')}=${escapeChars(v, '=;')}`);
  }
  return parts.join(';');
}

/**
 * The RFC 1929 fields tor would send for these args (pt-spec §3.5): the whole string in UNAME
 * and a single NUL as PASSWD when it fits in 255 bytes, else split across both fields.
 * @throws InvalidArgsError when the args exceed the 510 bytes the two fields can carry.
 */
export function clientArgsToSocksAuth(args: PtArgs): {
  username: Uint8Array;
  password: Uint8Array;
} {
  const bytes = Buffer.from(encodeClientArgs(args), 'utf8');
  if (bytes.length === 0) throw new InvalidArgsError('no client args to send');
  if (bytes.length > 510)
    throw new InvalidArgsError(`client args are ${bytes.length} bytes; SOCKS5 carries at most 510`);
  if (bytes.length <= 255) return { username: bytes, password: Uint8Array.of(0) };
  return { username: bytes.subarray(0, 255), password: bytes.subarray(255) };
}

/**
 * `ARGS:` payload of an SMETHOD line: keys sorted, all values of a key in order, `\`, `=` and
 * `,` escaped. The result must still pass the writer's line validation (no spaces, ASCII).
 */
export function encodeSmethodArgs(args: PtArgs): string {
  const keys = [...args.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const parts: string[] = [];
  for (const k of keys) {
    for (const v of args.get(k) ?? [])
      parts.push(`${escapeChars(k, '=,')}=${escapeChars(v, '=,')}`);
  }
  return parts.join(',');
}

/**
 * Index of the next unescaped terminator in `s` from `start`, and the unescaped text before it
 * (goptlib indexUnescaped: any character may follow a backslash).
 */
function readUntil(s: string, start: number, terms: string): { end: number; text: string } {
  let text = '';
  let i = start;
  for (; i < s.length; i++) {
    let ch = s[i] ?? '';
    if (terms.includes(ch)) break;
    if (ch === '\\') {
      i += 1;
      if (i >= s.length) throw new InvalidArgsError('nothing follows the final "\\" escape');
      ch = s[i] ?? '';
    }
    text += ch;
  }
  return { end: i, text };
}

/**
 * Parses TOR_PT_SERVER_TRANSPORT_OPTIONS (torrc ServerTransportOptions), e.g.
 * `obfs4:iat-mode=1;obfs4:drbg-seed=...`, into options per transport name.
 * @throws InvalidArgsError naming the malformed entry (→ ENV-ERROR).
 */
export function parseServerTransportOptions(s: string): Map<string, PtArgs> {
  const out = new Map<string, MutableArgs>();
  if (s.length === 0) return out;
  let i = 0;
  // Each iteration consumes at least one character (the ':' and '=' are mandatory), so the
  // loop runs at most s.length times.
  for (;;) {
    const begin = i;
    const name = readUntil(s, i, ':=;');
    i = name.end;
    if (i >= s.length || s[i] !== ':') {
      throw new InvalidArgsError(
        `no ":" after the transport name in ${JSON.stringify(s.slice(begin, i))} (expected transport:key=value)`,
      );
    }
    i += 1;
    const key = readUntil(s, i, '=;');
    i = key.end;
    if (i >= s.length || s[i] !== '=') {
      throw new InvalidArgsError(
        `no "=" in ${JSON.stringify(s.slice(begin, i))} (expected transport:key=value)`,
      );
    }
    i += 1;
    const value = readUntil(s, i, ';');
    i = value.end;
    if (name.text.length === 0)
      throw new InvalidArgsError(`empty transport name in ${JSON.stringify(s.slice(begin, i))}`);
    if (key.text.length === 0)
      throw new InvalidArgsError(`empty key in ${JSON.stringify(s.slice(begin, i))}`);
    let opts = out.get(name.text);
    if (opts === undefined) {
      opts = new Map();
      out.set(name.text, opts);
    }
    add(opts, key.text, value.text);
    if (i >= s.length) break;
    i += 1; // the ';'
  }
  return out;
}

/**
 * Inverse of encodeSmethodArgs: `k=v,k=v` with `\` escapes, as tor copies it into the bridge's
 * extra-info and bridge line tooling reads it back.
 * @throws InvalidArgsError on a missing "=", an empty key or a dangling escape.
 */
export function parseSmethodArgs(s: string): PtArgs {
  const out: MutableArgs = new Map();
  if (s.length === 0) return out;
  let i = 0;
  // Each iteration consumes at least the "=", so at most s.length iterations.
  for (;;) {
    const key = readUntil(s, i, '=,');
    i = key.end;
    if (i >= s.length || s[i] !== '=') {
      throw new InvalidArgsError(`no "=" in SMETHOD ARGS entry ${JSON.stringify(key.text)}`);
    }
    if (key.text.length === 0) throw new InvalidArgsError('empty key in SMETHOD ARGS');
    const value = readUntil(s, i + 1, ',');
    add(out, key.text, value.text);
    i = value.end;
    if (i >= s.length) break;
    i += 1;
  }
  return out;
}
