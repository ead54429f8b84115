/**
 * A strict, bounded, sans-IO parser for the head of one HTTP/1.x message (a request line or a
 * status line, then header fields, then an empty line). Both webtunnel ends read exactly one
 * head before the stream turns into raw bytes, and a server must read it from anyone on the
 * Internet, so the parser:
 *
 * - looks at no more than MAX_HEAD_BYTES (8 KiB, nginx's default large_client_header_buffers
 *   line size): a longer head is an error, never a bigger buffer;
 * - accepts only CRLF line ends, token field names, no obsolete line folding, no control
 *   characters in values, at most MAX_HEADERS fields;
 * - returns null while the head is incomplete, so it can be called again on every chunk, and
 *   reports how many bytes the head took so that the bytes after it stay with the stream.
 */

export const MAX_HEAD_BYTES = 8192;
export const MAX_HEADERS = 100;

/** Why a head was refused; the server maps each to the answer a web server would give. */
export type HeadProblem = 'malformed' | 'too-large';

export class HttpHeadError extends Error {
  readonly problem: HeadProblem;
  constructor(problem: HeadProblem, message: string) {
    super(message);
    this.name = 'HttpHeadError';
    this.problem = problem;
  }
}

/** Header fields in arrival order, names lower-cased. */
export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

export interface RequestHead {
  readonly method: string;
  readonly target: string;
  /** 0 or 1: HTTP/1.0 or HTTP/1.1. */
  readonly minor: number;
  readonly headers: HeaderList;
  /** Bytes of the head including the final empty line. */
  readonly length: number;
}

export interface ResponseHead {
  readonly minor: number;
  readonly status: number;
  readonly reason: string;
  readonly headers: HeaderList;
  readonly length: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 field-value: visible ASCII, obs-text, SP and HTAB; nothing else (no NUL, no CR/LF).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const REQUEST_TARGET = /^[\x21-\x7e]+$/;
const REQUEST_LINE = /^([^ ]+) ([^ ]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;

/** Finds CRLFCRLF within the first MAX_HEAD_BYTES; returns the head's length or null. */
function headLength(buf: Uint8Array): number | null {
  const limit = Math.min(buf.length, MAX_HEAD_BYTES);
  for (let i = 3; i < limit; i++) {
    if (buf[i] === 0x0a && buf[i - 1] === 0x0d && buf[i - 2] === 0x0a && buf[i - 3] === 0x0d) {
      return i + 1;
    }
  }
  if (buf.length >= MAX_HEAD_BYTES) {
    throw new HttpHeadError('too-large', `the HTTP head is longer than ${MAX_HEAD_BYTES} bytes`);
  }
  return null;
}

/** Splits a complete head into its start line and header lines, checking the line ends. */
function splitLines(buf: Uint8Array, length: number): { start: string; fields: string[] } {
  // latin1 keeps one character per byte, so obs-text survives and offsets stay byte offsets.
  const text = Buffer.from(buf.buffer, buf.byteOffset, length - 4).toString('latin1');
  const lines = text.split('\r\n');
  for (const l of lines) {
    if (l.includes('\r') || l.includes('\n')) {
      throw new HttpHeadError('malformed', 'a line of the HTTP head does not end with CRLF');
    }
  }
  const [start = '', ...fields] = lines;
  return { start, fields };
}

function parseFields(lines: readonly string[]): HeaderList {
  if (lines.length > MAX_HEADERS) {
    throw new HttpHeadError('too-large', `more than ${MAX_HEADERS} header fields`);
  }
  const out: Array<readonly [string, string]> = [];
  for (const line of lines) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      throw new HttpHeadError('malformed', 'obsolete header line folding');
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpHeadError('malformed', 'a header field name is invalid');
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (!FIELD_VALUE.test(value)) {
      throw new HttpHeadError('malformed', `header ${name} has a control character in its value`);
    }
    out.push([name.toLowerCase(), value]);
  }
  return out;
}

/**
 * Whether the first line so far could still become a request line: printable ASCII only. Lets
 * a server answer binary garbage (a TLS ClientHello, random bytes) at once, as nginx does,
 * instead of waiting for 8 KiB or the header timeout.
 */
function plausibleRequestPrefix(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, MAX_HEAD_BYTES);
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === 0x0d) return i > 0;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** Parses a request head. Null: incomplete. @throws HttpHeadError */
export function parseRequestHead(buf: Uint8Array): RequestHead | null {
  if (!plausibleRequestPrefix(buf)) {
    throw new HttpHeadError('malformed', 'the request line is not printable ASCII');
  }
  const length = headLength(buf);
  if (length === null) return null;
  const { start, fields } = splitLines(buf, length);
  const m = REQUEST_LINE.exec(start);
  if (m === null)
    throw new HttpHeadError('malformed', 'the request line is not METHOD TARGET HTTP/1.x');
  const [, method = '', target = '', minor = '1'] = m;
  if (!TOKEN.test(method)) throw new HttpHeadError('malformed', 'the request method is invalid');
  if (!REQUEST_TARGET.test(target))
    throw new HttpHeadError('malformed', 'the request target is invalid');
  return { method, target, minor: Number(minor), headers: parseFields(fields), length };
}

/** Parses a response head. Null: incomplete. @throws HttpHeadError */
export function parseResponseHead(buf: Uint8Array): ResponseHead | null {
  const length = headLength(buf);
  if (length === null) return null;
  const { start, fields } = splitLines(buf, length);
  const m = STATUS_LINE.exec(start);
  if (m === null)
    throw new HttpHeadError('malformed', 'the status line is not HTTP/1.x CODE REASON');
  const [, minor = '1', status = '0', reason = ''] = m;
  return {
    minor: Number(minor),
    status: Number(status),
    reason,
    headers: parseFields(fields),
    length,
  };
}

/** The first value of a header, or undefined. */
export function header(headers: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k === n)?.[1];
}

/** Whether a comma-separated header (Connection, Upgrade) lists `token`, case-insensitively. */
export function headerHasToken(headers: HeaderList, name: string, token: string): boolean {
  const n = name.toLowerCase();
  const t = token.toLowerCase();
  return headers.some(
    ([k, v]) =>
      k === n &&
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .includes(t),
  );
}
