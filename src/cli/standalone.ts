/**
 * What the standalone subcommands (server, client, keygen, bridgeline) share: settings merged
 * from flags and a config file with the origin of each value (so errors name the flag or the
 * field), the one-line error exit, logging, the default state directory, bridge lines and the
 * share string with its QR code.
 */
import { homedir, networkInterfaces } from 'node:os';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { Command, CommanderError } from 'commander';
import { InvalidArgsError, PtError } from '../errors.js';
import { formatHostPort, parseHostPort, type HostPort } from '../net/address.js';
import { createLogger, parseLogLevel, silentLogger, type Logger } from '../log/logger.js';
import { builtinRegistry } from '../transports/builtins.js';
import type { PtArgs, Transport } from '../transports/types.js';
import {
  ConfigError,
  loadConfig,
  type ConfigValue,
  type FieldSpec,
  type LoadedConfig,
} from './config.js';
import { encodeShare, ShareStringError } from './share.js';
import type { MetricsServer } from './metrics.js';
import { metricsAddressProblem } from './metrics-address.js';
import type { StatsSnapshot, TunnelStats } from '../tunnel/stats.js';
import { StatsBook } from '../tunnel/stats-book.js';

/** A mistake in what the user typed or configured: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit statuses of the standalone subcommands. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Help text width, fixed so that help is the same on a terminal and in the README. */
export const HELP_WIDTH = 100;

/** A value and where it came from ("--listen" or 'config server.toml: field "listen"'). */
export interface Setting<T> {
  readonly value: T;
  readonly origin: string;
}

/** Flag values (commander) merged over a config file; flags win. */
export class Settings {
  readonly #cmd: Command;
  readonly #config: LoadedConfig | null;

  constructor(cmd: Command, config: LoadedConfig | null) {
    this.#cmd = cmd;
    this.#config = config;
  }

  /**
   * The setting for a long flag name such as "public-address"; `field` is the config key when
   * it differs (options/args).
   */
  get(flag: string, field = flag): Setting<ConfigValue> | undefined {
    const key = camel(flag);
    const opts = this.#cmd.opts<Record<string, unknown>>();
    const src = this.#cmd.getOptionValueSource(key);
    if (src === 'cli' || src === 'env') {
      const v = opts[key];
      if (v !== undefined) return { value: v as ConfigValue, origin: `--${flag}` };
    }
    const c = this.#config?.values.get(field);
    if (c !== undefined) {
      return { value: c, origin: `config ${this.#config?.file ?? '?'}: field "${field}"` };
    }
    return undefined;
  }

  string(flag: string): Setting<string> | undefined {
    const s = this.get(flag);
    if (s === undefined) return undefined;
    if (typeof s.value === 'string') return { value: s.value, origin: s.origin };
    if (typeof s.value === 'number' || typeof s.value === 'boolean') {
      return { value: String(s.value), origin: s.origin };
    }
    throw new UsageError(`${s.origin}: expected a single value, not a table`);
  }

  bool(flag: string, dflt: boolean): boolean {
    const s = this.get(flag);
    return s === undefined ? dflt : s.value === true;
  }

  /** k=v pairs: repeated `--<flag> k=v` on the command line, or a table in the file. */
  pairs(flag: string, field: string): { args: Map<string, string>; origin: string } {
    const key = camel(flag);
    const src = this.#cmd.getOptionValueSource(key);
    const out = new Map<string, string>();
    const fromFile = this.#config?.values.get(field);
    if (fromFile instanceof Map) {
      for (const [k, v] of fromFile as ReadonlyMap<string, string>) out.set(k, v);
    }
    if (src === 'cli') {
      const list = this.#cmd.opts<Record<string, unknown>>()[key] as string[] | undefined;
      for (const kv of list ?? []) {
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new UsageError(`--${flag} ${JSON.stringify(kv)}: expected key=value`);
        out.set(kv.slice(0, eq), kv.slice(eq + 1));
      }
      return { args: out, origin: `--${flag}` };
    }
    return { args: out, origin: `config ${this.#config?.file ?? '?'}: field "${field}"` };
  }

  /** A number with bounds; `--check-timeout 3` or `check-timeout = 3`. */
  number(flag: string, dflt: number, min: number, max: number): number {
    const s = this.get(flag);
    if (s === undefined) return dflt;
    const n = typeof s.value === 'number' ? s.value : Number(s.value);
    if (typeof s.value === 'string' && !/^\s*-?\d+(\.\d+)?\s*$/.test(s.value)) {
      throw new UsageError(
        `${s.origin}: ${JSON.stringify(s.value)} is not a number (expected ${min} to ${max})`,
      );
    }
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new UsageError(
        `${s.origin}: must be from ${min} to ${max}, got ${typeof s.value === 'object' ? 'a table' : String(s.value)}`,
      );
    }
    return n;
  }
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Loads `--config FILE` when given. */
export async function loadConfigOption(
  cmd: Command,
  fields: readonly FieldSpec[],
): Promise<LoadedConfig | null> {
  const file = cmd.opts<{ config?: string }>().config;
  return file === undefined ? null : loadConfig(file, fields);
}

/**
 * Parses a listen address: `host:port`, `[v6]:port`, or a bare port meaning `defaultHost:port`.
 * @throws UsageError naming the setting.
 */
export function parseListen(s: Setting<string>, defaultHost: string): HostPort {
  const v = s.value.trim();
  try {
    if (/^\d+$/.test(v)) return parseHostPort(`${defaultHost}:${v}`, { allowPortZero: true });
    return parseHostPort(v, { allowPortZero: true });
  } catch (e) {
    throw new UsageError(`${s.origin}: ${(e as Error).message}`);
  }
}

/** Parses a destination `host:port` (names allowed). @throws UsageError naming the setting. */
export function parseTarget(s: Setting<string>): HostPort {
  try {
    return parseHostPort(s.value.trim());
  } catch (e) {
    throw new UsageError(`${s.origin}: ${(e as Error).message}`);
  }
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 literal; the port may be absent. */
export function parsePublicAddress(s: Setting<string>): { host: string; port?: number } {
  const v = s.value.trim();
  if (isIPv6(v)) return { host: v };
  const bracket = /^\[([^\]]+)\]$/.exec(v);
  if (bracket?.[1] !== undefined && isIPv6(bracket[1])) return { host: bracket[1] };
  if (!v.includes(':')) {
    try {
      return { host: parseHostPort(`${v}:1`).host };
    } catch (e) {
      throw new UsageError(`${s.origin}: ${(e as Error).message}`);
    }
  }
  return parseTarget(s);
}

/** The transport named by `--transport` (default obfs4). @throws UsageError listing the names. */
export function pickTransport(s: Setting<string> | undefined): Transport {
  const registry = builtinRegistry();
  const name = s?.value ?? 'obfs4';
  const t = registry.get(name);
  if (t === undefined) {
    const where = s === undefined ? '' : `${s.origin}: `;
    throw new UsageError(
      `${where}unknown transport ${JSON.stringify(name)}; steppe has ${registry.names().join(', ')}`,
    );
  }
  return t;
}

/** What each transport is for, for the --help of the commands that take --transport. */
export const TRANSPORTS_HELP = `
Transports:
  obfs4         the default; resists passive and active probing
  scramblesuit  for bridges that publish password= (probe-resistant, like obfs4)
  webtunnel     HTTPS to a web site, the bridge behind a real web server
  obfs3         for bridges without obfs4 (a prober can confirm it with one connection)
  obfs2         passively breakable (anyone on the path can decrypt and detect it): only for old
                bridges that speak nothing else; the Python obfsproxy's shared secret goes in
                --arg/--option shared-secret=...
  dummy, b64    no obfuscation at all: the Python obfsproxy's test transports (bytes as they are,
                or base64 text), for testing a setup`;

export function transportNames(): string {
  return builtinRegistry().names().join(', ');
}

/**
 * The state directory: the setting, else systemd's $STATE_DIRECTORY (StateDirectory=), else
 * $XDG_STATE_HOME/steppe, else ~/.local/state/steppe.
 */
export function stateDir(s: Setting<string> | undefined, env = process.env): string {
  if (s !== undefined) return s.value;
  const systemd = env['STATE_DIRECTORY'];
  if (systemd !== undefined && systemd !== '') return systemd.split(':')[0] ?? systemd;
  const xdg = env['XDG_STATE_HOME'];
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'state');
  return join(base, 'steppe');
}

/** The logger from --log-level / --log-file / --unsafe-logging (default: errors to stderr). */
export function makeLogger(settings: Settings): Logger {
  const levelS = settings.string('log-level');
  const raw = levelS?.value ?? 'error';
  if (raw.toLowerCase() === 'off' || raw.toLowerCase() === 'none') return silentLogger;
  const level = parseLogLevel(raw);
  if (level === null) {
    throw new UsageError(
      `${levelS?.origin ?? '--log-level'}: invalid log level ${JSON.stringify(raw)}; use error, warn, info, debug or off`,
    );
  }
  const file = settings.string('log-file');
  try {
    return createLogger({
      level,
      destination: file?.value ?? 'stderr',
      unsafe: settings.bool('unsafe-logging', false),
    });
  } catch (e) {
    throw new UsageError(
      `${file?.origin ?? '--log-file'}: cannot open the log: ${(e as Error).message}`,
    );
  }
}

/** `Bridge <transport> <addr> [<fingerprint>] k=v k=v`, the torrc form of a server's args. */
export function bridgeLine(
  transport: string,
  address: string,
  args: PtArgs,
  fingerprint?: string,
): string {
  const kv: string[] = [];
  for (const [k, values] of args) for (const v of values) kv.push(`${k}=${v}`);
  const fp = fingerprint === undefined ? '' : ` ${fingerprint}`;
  return `Bridge ${transport} ${address}${fp}${kv.length === 0 ? '' : ` ${kv.join(' ')}`}`;
}

/** The share string for a server's published args. */
export function shareString(transport: string, address: HostPort, args: PtArgs): string {
  const flat = new Map<string, string>();
  for (const [k, values] of args) if (values[0] !== undefined) flat.set(k, values[0]);
  return encodeShare({ transport, server: address, args: flat });
}

const WILDCARDS = new Set(['0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0']);

/**
 * The address to print for clients: --public-address, else the listen address when it is a
 * specific one, else this host's first non-internal address (with a note to say so).
 */
export function clientFacingAddress(
  listen: HostPort,
  pub: { host: string; port?: number } | undefined,
): { address: HostPort; guessed: boolean } {
  if (pub !== undefined)
    return { address: { host: pub.host, port: pub.port ?? listen.port }, guessed: false };
  if (!WILDCARDS.has(listen.host)) return { address: listen, guessed: false };
  const ifaces = Object.values(networkInterfaces()).flatMap((l) => l ?? []);
  const v4 = ifaces.find((i) => i.family === 'IPv4' && !i.internal);
  const v6 = ifaces.find((i) => i.family === 'IPv6' && !i.internal && !/^fe80:/i.test(i.address));
  const host = v4?.address ?? v6?.address ?? '127.0.0.1';
  return { address: { host, port: listen.port }, guessed: true };
}

/** The share string as a terminal QR code (two rows per character); loads the encoder lazily. */
export async function qrCode(text: string): Promise<string> {
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(text, { type: 'terminal', small: true });
}

/**
 * `--public-address` for commands that print a share string, which needs a port: absent gives
 * undefined, a host without a port is a usage error.
 */
export function publicAddressWithPort(s: Setting<string> | undefined): HostPort | undefined {
  if (s === undefined) return undefined;
  const pub = parsePublicAddress(s);
  if (pub.port === undefined) {
    throw new UsageError(`${s.origin}: give the port too, e.g. ${pub.host}:443`);
  }
  return { host: pub.host, port: pub.port };
}

/**
 * Prints an identity for operators: the bridge line (with the placeholder address when there is
 * no public address), then, when there is one, the share string and optionally its QR code.
 */
export async function printIdentity(
  out: NodeJS.WritableStream,
  transport: string,
  address: HostPort | undefined,
  args: PtArgs,
  opts: { qr: boolean; fingerprint?: string | undefined },
): Promise<void> {
  const shown = address === undefined ? '<IP ADDRESS>:<PORT>' : formatHostPort(address);
  out.write(`${bridgeLine(transport, shown, args, opts.fingerprint)}\n`);
  if (address === undefined) return;
  const share = shareString(transport, address, args);
  out.write(`${share}\n`);
  if (opts.qr) out.write(await qrCode(share));
}

/**
 * The `--metrics` address, or undefined. A non-loopback address without `--metrics-public` is a
 * usage error: standalone mode refuses to start (someone is at the command line to fix it).
 */
export function parseMetricsAddress(settings: Settings): HostPort | undefined {
  const setting = settings.string('metrics');
  if (setting === undefined) return undefined;
  const addr = parseListen(setting, '127.0.0.1');
  const problem = metricsAddressProblem(addr, settings.bool('metrics-public', false));
  if (problem !== null) throw new UsageError(`${setting.origin}: ${problem}`);
  return addr;
}

/**
 * Starts the opt-in Prometheus listener at `address` (parsed from `setting` up front, so a bad
 * value is a usage error before anything starts), or returns undefined when there is none.
 * Loaded only when asked for: prom-client is the largest dependency of the CLI. When it cannot
 * start, `closeTunnel` runs before the error propagates, so nothing is left listening.
 */
export async function startOptionalMetrics(
  address: HostPort | undefined,
  setting: Setting<string> | undefined,
  stats: TunnelStats,
  transport: string,
  closeTunnel: () => Promise<void>,
  /** Counters kept in other processes (`--workers`), added to `stats`. */
  remote?: () => Promise<Array<[string, StatsSnapshot]>>,
): Promise<MetricsServer | undefined> {
  if (address === undefined) return undefined;
  try {
    const { startMetrics } = await import('./metrics.js');
    const book = StatsBook.of(transport, stats);
    if (remote !== undefined) book.setRemote(remote);
    return await startMetrics(address, book, setting?.origin);
  } catch (e) {
    await closeTunnel();
    throw e;
  }
}

/** One line: no newlines, standalone wording for messages written with tor in mind. */
export function oneLine(message: string): string {
  return message
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\(TOR_PT_PROXY\)/g, '(--proxy)')
    .replace(/TOR_PT_PROXY/g, 'the --proxy setting')
    .trim();
}

function exitStatus(e: unknown): number {
  if (e instanceof UsageError || e instanceof ConfigError || e instanceof ShareStringError) {
    return EXIT_USAGE;
  }
  if (e instanceof InvalidArgsError) return EXIT_USAGE;
  if (e instanceof PtError && e.code === 'ERR_PROXY' && /proxy URI/.test(e.message)) {
    return EXIT_USAGE;
  }
  return EXIT_FAILURE;
}

/** Prints `steppe <cmd>: <message>` on stderr and exits: 2 for usage errors, 1 otherwise. */
export function fail(cmd: string, e: unknown): never {
  const message = e instanceof Error ? e.message : String(e);
  const known =
    e instanceof UsageError ||
    e instanceof ConfigError ||
    e instanceof ShareStringError ||
    e instanceof PtError;
  let line = `steppe ${cmd}: ${oneLine(message)}`;
  if (!known) {
    line += ' (unexpected error; set STEPPE_DEBUG=1 for details)';
    if (process.env['STEPPE_DEBUG'] === '1') console.error(e);
  }
  process.stderr.write(`${line}\n`);
  process.exit(exitStatus(e));
}

/**
 * Common commander setup for a standalone subcommand: fixed help width, usage errors as one
 * line `steppe <cmd>: ...` with exit status 2.
 */
export function configureCommand(cmd: Command, name: string): Command {
  return cmd
    .configureHelp({ helpWidth: HELP_WIDTH })
    .configureOutput({
      outputError: (str, write) => {
        write(`steppe ${name}: ${oneLine(str.replace(/^error:\s*/, ''))}\n`);
      },
    })
    .exitOverride((err: CommanderError) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    });
}

/** Collector for repeatable `--flag k=v` options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs the action and turns any failure into the one-line exit. */
export async function runAction(cmd: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    fail(cmd, e);
  }
}

/** Calls `stop` once on SIGINT or SIGTERM, then exits 0. */
export function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (): void => {
    if (stopping) process.exit(0);
    stopping = true;
    const hard = setTimeout(() => process.exit(0), 3000);
    hard.unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
