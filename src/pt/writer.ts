/**
 * The one writer of stdout, which is tor's managed-proxy IPC channel (pt-spec §3.3). Every line
 * is `<Keyword> [SP <Args>] NL`: keywords are checked against `[A-Za-z0-9_-]`, arguments must be
 * US-ASCII without NUL or NL (goptlib panics on violations; we throw TypeError, a programmer
 * error). Free-text messages from errors are sanitised instead of rejected, because they can
 * quote operator input such as file names.
 */
import { formatHostPort, type HostPort } from '../net/address.js';
import { encodeSmethodArgs, type PtArgs } from './args.js';

/** pt-spec LOG severities. */
export type LogSeverity = 'error' | 'warning' | 'notice' | 'info' | 'debug';

/** Receives one complete line, without the trailing newline. */
export type LineSink = (line: string) => void;

const KEYWORD = /^[A-Za-z0-9_-]+$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkKeyword(k: string): void {
  if (!KEYWORD.test(k))
    throw new TypeError(`PT keyword ${JSON.stringify(k)} contains forbidden characters`);
}

function checkArg(a: string): void {
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 0 || c === 10 || c > 0x7f) {
      throw new TypeError(`PT line argument ${JSON.stringify(a)} contains a forbidden character`);
    }
  }
}

function checkMethodName(name: string): void {
  if (!C_IDENTIFIER.test(name))
    throw new TypeError(`transport name ${JSON.stringify(name)} is not a C identifier`);
}

/**
 * Makes free text safe for a line: control characters become spaces, non-ASCII characters
 * become `\u{...}` escapes, so nothing the operator typed can break the protocol.
 */
export function sanitizeText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0x7f) out += ' ';
    else if (c > 0x7e) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return out.trim() === '' ? '(no message)' : out;
}

/**
 * goptlib's CString encoding for LOG/STATUS values: double-quoted; every UTF-8 byte other than
 * 32, 33, 35–91 and 93–126 (so also `"` and `\`) is written as a 3-digit octal escape.
 */
export function encodeCString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    const plain = b === 32 || b === 33 || (b >= 35 && b <= 91) || (b >= 93 && b <= 126);
    out += plain ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

export class PtWriter {
  readonly #sink: LineSink;
  #lines = 0;

  constructor(sink: LineSink) {
    this.#sink = sink;
  }

  /** How many lines were written (tests and ordering checks). */
  get lineCount(): number {
    return this.#lines;
  }

  /** Writes a validated line. @throws TypeError on a forbidden keyword or argument. */
  line(keyword: string, ...args: string[]): void {
    checkKeyword(keyword);
    for (const a of args) checkArg(a);
    this.#lines += 1;
    this.#sink(args.length === 0 ? keyword : `${keyword} ${args.join(' ')}`);
  }

  version(): void {
    this.line('VERSION', '1');
  }

  /** tor matches the prefix "VERSION-ERROR no-version"; a reason may follow. */
  versionError(reason?: string): void {
    this.line(
      'VERSION-ERROR',
      reason === undefined ? 'no-version' : `no-version ${sanitizeText(reason)}`,
    );
  }

  envError(message: string): void {
    this.line('ENV-ERROR', sanitizeText(message));
  }

  proxyDone(): void {
    this.line('PROXY', 'DONE');
  }

  proxyError(message: string): void {
    this.line('PROXY-ERROR', sanitizeText(message));
  }

  cmethod(name: string, protocol: 'socks4' | 'socks5', addr: HostPort): void {
    checkMethodName(name);
    this.line('CMETHOD', name, protocol, formatHostPort(addr));
  }

  cmethodError(name: string, message: string): void {
    checkMethodName(name);
    this.line('CMETHOD-ERROR', name, sanitizeText(message));
  }

  cmethodsDone(): void {
    this.line('CMETHODS', 'DONE');
  }

  /**
   * `SMETHOD <name> <addr> [ARGS:k=v,...]` (ARGS only when `args` is given, as obfs4proxy always
   * gives it). @throws TypeError if an arg would not survive tor's space-separated parsing.
   */
  smethod(name: string, addr: HostPort, args?: PtArgs): void {
    checkMethodName(name);
    if (args === undefined) {
      this.line('SMETHOD', name, formatHostPort(addr));
      return;
    }
    const encoded = encodeSmethodArgs(args);
    if (/\s/.test(encoded))
      throw new TypeError(`SMETHOD ARGS must not contain white space: ${JSON.stringify(encoded)}`);
    this.line('SMETHOD', name, formatHostPort(addr), `ARGS:${encoded}`);
  }

  smethodError(name: string, message: string): void {
    checkMethodName(name);
    this.line('SMETHOD-ERROR', name, sanitizeText(message));
  }

  smethodsDone(): void {
    this.line('SMETHODS', 'DONE');
  }

  /** A message for tor's log (PT_LOG control event). */
  log(severity: LogSeverity, message: string): void {
    this.line('LOG', `SEVERITY=${severity}`, `MESSAGE=${encodeCString(message)}`);
  }

  /** `STATUS TRANSPORT=<t> <k>=<v> ...` (PT_STATUS); values are CString-encoded. */
  status(transport: string, fields: ReadonlyArray<readonly [string, string]>): void {
    checkMethodName(transport);
    if (fields.length === 0) throw new TypeError('STATUS needs at least one key=value');
    const kv = fields.map(([k, v]) => {
      if (!C_IDENTIFIER.test(k))
        throw new TypeError(`STATUS key ${JSON.stringify(k)} is not an identifier`);
      return `${k}=${encodeCString(v)}`;
    });
    this.line('STATUS', `TRANSPORT=${transport}`, ...kv);
  }

  /** `STATUS TYPE=version IMPLEMENTATION=... VERSION=...` (tor ticket 11101; goptlib ReportVersion). */
  statusVersion(implementation: string, version: string): void {
    this.line(
      'STATUS',
      'TYPE=version',
      `IMPLEMENTATION=${encodeCString(implementation)}`,
      `VERSION=${encodeCString(version)}`,
    );
  }
}

/**
 * A sink writing to process.stdout. Writes to a pipe are synchronous on Linux, so a line is in
 * the pipe when this returns; an EPIPE (tor went away) is ignored rather than crashing us.
 */
export function stdoutSink(): LineSink {
  process.stdout.on('error', ignore);
  return (line) => {
    process.stdout.write(`${line}\n`);
  };
}

/** Resolves once everything written to stdout so far has been handed to the OS. */
export function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.writableLength === 0) {
      resolve();
      return;
    }
    process.stdout.write('', () => resolve());
  });
}

function ignore(): void {
  // deliberately empty
}
