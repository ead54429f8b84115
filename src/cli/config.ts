/**
 * Config files for `steppe server` and `steppe client` (`--config FILE`), an alternative to
 * flags. The format is JSON or TOML, chosen by the extension (.json, .toml) or, for any other
 * name, by the first character (`{` is JSON). The top level is a table whose keys are the
 * subcommand's long flag names (`listen`, `forward`, `public-address`, ...); `options` and `args`
 * are tables of transport k=v pairs. Flags given on the command line override the file.
 *
 * Every error names the file, the field and what was expected, in one line.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'table';

export interface FieldSpec {
  /** The key in the file; also the long flag name (except `options`/`args`: `--option`, `--arg`). */
  readonly name: string;
  readonly type: FieldType;
  /** Shown in the schema table of the docs. */
  readonly description: string;
  /** Shown in type errors: `"0.0.0.0:443"`. */
  readonly example: string;
  /** For integers and numbers: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
}

export type ConfigValue = string | number | boolean | ReadonlyMap<string, string>;

export interface LoadedConfig {
  readonly file: string;
  readonly values: ReadonlyMap<string, ConfigValue>;
}

/** A config file that cannot be used; the message is one line naming the file and field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const COMMON_FIELDS: readonly FieldSpec[] = [
  {
    name: 'transport',
    type: 'string',
    description: 'transport name',
    example: '"obfs4"',
  },
  {
    name: 'state',
    type: 'string',
    description: 'state directory (server identity; client state of transports that keep any)',
    example: '"/var/lib/steppe"',
  },
  {
    name: 'metrics',
    type: 'string',
    description: 'serve Prometheus metrics on http://ADDR/metrics',
    example: '"127.0.0.1:9400"',
  },
  {
    name: 'metrics-public',
    type: 'boolean',
    description: 'metrics may listen on an address that is not loopback (default false)',
    example: 'true',
  },
  {
    name: 'status',
    type: 'boolean',
    description: 'live status line when stdout is a terminal (default true)',
    example: 'false',
  },
  {
    name: 'log-level',
    type: 'string',
    description: 'error, warn, info, debug or off (default error)',
    example: '"info"',
  },
  {
    name: 'log-file',
    type: 'string',
    description: 'log file path, or "stderr" (default stderr)',
    example: '"/var/log/steppe.log"',
  },
  {
    name: 'unsafe-logging',
    type: 'boolean',
    description: 'keep IP addresses in the log (default false)',
    example: 'true',
  },
];

export const SERVER_FIELDS: readonly FieldSpec[] = [
  {
    name: 'listen',
    type: 'string',
    description: 'where clients connect: host:port, [v6]:port, or a port (all addresses)',
    example: '"0.0.0.0:443"',
  },
  {
    name: 'forward',
    type: 'string',
    description: 'host:port each client is forwarded to, or "socks" (the client picks)',
    example: '"127.0.0.1:1194"',
  },
  {
    name: 'iat-mode',
    type: 'integer',
    min: 0,
    max: 2,
    description: 'obfs4 inter-arrival-time obfuscation: 0 off, 1 on, 2 paranoid',
    example: '0',
  },
  {
    name: 'password',
    type: 'string',
    description: 'scramblesuit: the shared secret, 32 Base32 characters (default: generated)',
    example: '"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"',
  },
  {
    name: 'shared-secret',
    type: 'string',
    description: "obfs2: the Python obfsproxy's shared-secret extension",
    example: '"correct horse battery staple"',
  },
  {
    name: 'options',
    type: 'table',
    description: 'transport server options (as ServerTransportOptions), e.g. { iat-mode = "1" }',
    example: '{ "iat-mode": "0" }',
  },
  {
    name: 'public-address',
    type: 'string',
    description: 'host[:port] clients use, for the bridge line and share string',
    example: '"203.0.113.5:443"',
  },
  {
    name: 'proxy-protocol',
    type: 'boolean',
    description: 'send a PROXY protocol v2 header with the client address to the target',
    example: 'true',
  },
  {
    name: 'ext-cookie-file',
    type: 'string',
    description: "forward is tor's Extended ORPort; authenticate with this cookie file",
    example: '"/var/lib/tor/extended_orport_auth_cookie"',
  },
  {
    name: 'qr',
    type: 'boolean',
    description: 'print the share string as a QR code when stdout is a terminal (default true)',
    example: 'false',
  },
  ...COMMON_FIELDS,
];

export const CLIENT_FIELDS: readonly FieldSpec[] = [
  {
    name: 'connect',
    type: 'string',
    description: 'a share string (transport, server and args in one)',
    example: '"steppe://obfs4@203.0.113.5:443?cert=...&iat-mode=0"',
  },
  {
    name: 'server',
    type: 'string',
    description: "the server's host:port",
    example: '"203.0.113.5:443"',
  },
  {
    name: 'cert',
    type: 'string',
    description: "obfs4: the cert from the server's bridge line",
    example: '"p9L6...(70 characters)"',
  },
  {
    name: 'iat-mode',
    type: 'integer',
    min: 0,
    max: 2,
    description: "obfs4: the iat-mode from the server's bridge line (default 0)",
    example: '0',
  },
  {
    name: 'password',
    type: 'string',
    description: "scramblesuit: the password from the server's bridge line",
    example: '"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"',
  },
  {
    name: 'shared-secret',
    type: 'string',
    description: "obfs2: the server's shared-secret (Python obfsproxy's extension)",
    example: '"correct horse battery staple"',
  },
  {
    name: 'args',
    type: 'table',
    description: 'other transport arguments, e.g. { cert = "...", iat-mode = "0" }',
    example: '{ "cert": "..." }',
  },
  {
    name: 'listen',
    type: 'string',
    description: "local address whose connections all go to the server's forward target",
    example: '"127.0.0.1:1194"',
  },
  {
    name: 'socks',
    type: 'string',
    description: 'local SOCKS5 address; targets go through a server run with forward = "socks"',
    example: '"127.0.0.1:1080"',
  },
  {
    name: 'pt-socks',
    type: 'string',
    description:
      'local SOCKS5 address used like a managed client (target = server, args in username)',
    example: '"127.0.0.1:1080"',
  },
  {
    name: 'proxy',
    type: 'string',
    description: 'upstream proxy: socks5://[user:pass@]host:port, socks4a://..., http://...',
    example: '"socks5://127.0.0.1:9050"',
  },
  {
    name: 'check',
    type: 'boolean',
    description: 'try one handshake with the server at startup (default true)',
    example: 'false',
  },
  {
    name: 'check-timeout',
    type: 'number',
    min: 0.1,
    max: 600,
    description: 'seconds the startup handshake may take (default 20)',
    example: '20',
  },
  ...COMMON_FIELDS,
];

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Date) return 'a date';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'an integer' : 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a table';
    default:
      return typeof v;
  }
}

/** Edit distance, for "did you mean". Inputs are short field names. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min(
        (row[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

function suggest(name: string, fields: readonly FieldSpec[]): string {
  const normal = name.replace(/_/g, '-').toLowerCase();
  let best: FieldSpec | undefined;
  let bestD = Infinity;
  for (const f of fields) {
    const d = f.name === normal ? 0 : distance(normal, f.name);
    if (d < bestD) {
      best = f;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= 3 ? ` (did you mean "${best.name}"?)` : '';
}

/**
 * Checks a parsed document against `fields`.
 * @throws ConfigError naming the first bad field.
 */
export function validateConfig(
  doc: unknown,
  fields: readonly FieldSpec[],
  file: string,
): LoadedConfig {
  const where = `config ${file}`;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(
      `${where}: the top level must be a table of settings, not ${typeName(doc)}`,
    );
  }
  const values = new Map<string, ConfigValue>();
  const byName = new Map(fields.map((f) => [f.name, f]));
  for (const [key, raw] of Object.entries(doc as Record<string, unknown>)) {
    if (key.startsWith('$')) continue; // "$schema" and other editor hints
    const spec = byName.get(key);
    if (spec === undefined) {
      throw new ConfigError(
        `${where}: unknown field "${key}"${suggest(key, fields)}; known fields: ${fields.map((f) => f.name).join(', ')}`,
      );
    }
    const bad = (why?: string): ConfigError =>
      new ConfigError(
        `${where}: field "${key}" ${why ?? `must be ${article(spec.type)}, e.g. ${key} = ${spec.example}; got ${typeName(raw)}`}`,
      );
    switch (spec.type) {
      case 'string':
        if (typeof raw !== 'string') throw bad();
        if (raw.trim() === '') throw bad('is empty');
        values.set(key, raw);
        break;
      case 'boolean':
        if (typeof raw !== 'boolean') throw bad();
        values.set(key, raw);
        break;
      case 'integer':
      case 'number': {
        let n: number;
        if (typeof raw === 'number') n = raw;
        else if (typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw)) n = Number(raw);
        else throw bad();
        if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) throw bad();
        if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
          throw bad(`must be from ${spec.min} to ${spec.max}, got ${n}`);
        }
        values.set(key, n);
        break;
      }
      case 'table': {
        if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || raw instanceof Date) {
          throw bad();
        }
        const m = new Map<string, string>();
        for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
          if (typeof v === 'string') m.set(k, v);
          else if (typeof v === 'number' || typeof v === 'boolean') m.set(k, String(v));
          else throw bad(`has "${k}" = ${typeName(v)}; values must be strings or numbers`);
        }
        values.set(key, m);
        break;
      }
    }
  }
  return { file, values };
}

function article(t: FieldType): string {
  switch (t) {
    case 'integer':
      return 'an integer';
    case 'table':
      return 'a table';
    default:
      return `a ${t}`;
  }
}

/** 0-based character offset → "line L, column C" (1-based). */
function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line}, column ${col}`;
}

/** Parses the text of a config file (format by `file`'s extension or first character). */
export function parseConfigText(
  text: string,
  fields: readonly FieldSpec[],
  file: string,
): LoadedConfig {
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.toml' && /^\s*\{/.test(text));
  let doc: unknown;
  if (json) {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      const m = (e as Error).message.split('\n')[0] ?? '';
      const pos = /at position (\d+)/.exec(m);
      const at = pos?.[1] === undefined ? '' : ` at ${lineCol(text, Number(pos[1]))}`;
      const why = m.replace(/\s*(in JSON )?at position \d+.*$/, '');
      throw new ConfigError(`config ${file}: not valid JSON${at}: ${why}`);
    }
  } else {
    try {
      doc = parseToml(text);
    } catch (e) {
      if (e instanceof TomlError) {
        const first = (e.message.split('\n')[0] ?? '').replace(/^Invalid TOML document:\s*/, '');
        throw new ConfigError(
          `config ${file}: not valid TOML at line ${e.line}, column ${e.column}: ${first}`,
        );
      }
      throw new ConfigError(`config ${file}: not valid TOML: ${(e as Error).message}`);
    }
  }
  return validateConfig(doc, fields, file);
}

/**
 * Reads and validates a config file.
 * @throws ConfigError (unreadable, syntax, schema), one line naming the file and field.
 */
export async function loadConfig(
  file: string,
  fields: readonly FieldSpec[],
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (e as Error).message;
    throw new ConfigError(`config ${file}: cannot read it: ${why}`);
  }
  return parseConfigText(text, fields, file);
}

/** The schema as a Markdown table (kept in README.md; a test compares them). */
export function schemaMarkdown(fields: readonly FieldSpec[]): string {
  const rows = fields.map(
    (f) => `| \`${f.name}\` | ${f.type} | ${f.description.replace(/\|/g, '\\|')} |`,
  );
  return ['| field | type | meaning |', '|---|---|---|', ...rows].join('\n');
}
