/**
 * The managed-proxy environment (pt-spec §3.2) parsed into a typed configuration. Parsing is
 * pure; every failure is a ManagedProxyError carrying the pt-spec keyword to emit and a message
 * that names the variable, shows the value, and says what a valid one looks like.
 *
 * Ordering matters to tor: it only logs an ENV-ERROR or VERSION-ERROR received before
 * `VERSION 1`, and a PROXY-ERROR received after it. So everything but TOR_PT_PROXY is
 * validated here up front, and the proxy separately (parseProxyEnv).
 */
import { resolve as resolvePath } from 'node:path';
import { mkdir, access, stat } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { PtError } from '../errors.js';
import { formatHostPort, parseHostPort, type HostPort } from '../net/address.js';
import { parseProxyUri, type OutboundBind, type ProxyConfig } from '../net/proxy-config.js';
import { parseServerTransportOptions, type PtArgs } from './args.js';

export type ManagedErrorKeyword = 'ENV-ERROR' | 'VERSION-ERROR' | 'PROXY-ERROR';

/** A configuration failure and the pt-spec line it must produce. */
export class ManagedProxyError extends PtError {
  readonly keyword: ManagedErrorKeyword;
  constructor(keyword: ManagedErrorKeyword, message: string, options?: { cause?: unknown }) {
    super(keyword === 'PROXY-ERROR' ? 'ERR_PROXY' : 'ERR_ENV', message, options);
    this.keyword = keyword;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

interface CommonConfig {
  /** TOR_PT_STATE_LOCATION, made absolute. */
  readonly stateDir: string;
  /** TOR_PT_EXIT_ON_STDIN_CLOSE=1 */
  readonly exitOnStdinClose: boolean;
  /** TOR_PT_OUTBOUND_BIND_ADDRESS_V4/V6 (IPv6 without brackets). */
  readonly outboundBind: OutboundBind;
}

export interface ClientConfig extends CommonConfig {
  readonly role: 'client';
  /** TOR_PT_CLIENT_TRANSPORTS in order, duplicates and empty entries removed. */
  readonly transports: readonly string[];
}

export interface ServerBindAddr {
  readonly transport: string;
  readonly addr: HostPort;
  /** TOR_PT_SERVER_TRANSPORT_OPTIONS for this transport (empty map when none). */
  readonly options: PtArgs;
}

export interface ServerConfig extends CommonConfig {
  readonly role: 'server';
  /** TOR_PT_SERVER_TRANSPORTS in order. */
  readonly transports: readonly string[];
  /** TOR_PT_SERVER_BINDADDR entries for the requested transports, in TOR_PT_SERVER_BINDADDR order. */
  readonly bindAddrs: readonly ServerBindAddr[];
  /** TOR_PT_ORPORT, or null. */
  readonly orPort: HostPort | null;
  /** TOR_PT_EXTENDED_SERVER_PORT, or null when unset or empty. */
  readonly extOrPort: HostPort | null;
  /** TOR_PT_AUTH_COOKIE_FILE, or null. */
  readonly authCookieFile: string | null;
}

export type ManagedConfig = ClientConfig | ServerConfig;

function envError(message: string, cause?: unknown): ManagedProxyError {
  return new ManagedProxyError('ENV-ERROR', message, cause === undefined ? undefined : { cause });
}

function nonEmpty(env: Env, key: string): string | undefined {
  const v = env[key];
  return v === undefined || v === '' ? undefined : v;
}

/** The transport list from a comma-separated variable: empty entries and repeats dropped. */
function transportList(value: string): string[] {
  const out: string[] = [];
  for (const t of value.split(',')) {
    const name = t.trim();
    if (name !== '' && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * TOR_PT_MANAGED_TRANSPORT_VER: a comma list; only "1" exists.
 * @throws ManagedProxyError('VERSION-ERROR') when "1" is not offered.
 */
export function negotiateVersion(env: Env): '1' {
  const offered = env['TOR_PT_MANAGED_TRANSPORT_VER'];
  if (offered === undefined || offered === '') {
    throw envError(
      'no TOR_PT_MANAGED_TRANSPORT_VER environment variable: steppe was not started by tor as a managed proxy',
    );
  }
  if (!offered.split(',').some((v) => v.trim() === '1')) {
    throw new ManagedProxyError(
      'VERSION-ERROR',
      `tor offered managed-proxy protocol version(s) ${JSON.stringify(offered)}; steppe speaks version 1`,
    );
  }
  return '1';
}

/** Parses an IP:port variable the way goptlib's resolveAddr does (IP literal, tor #7011 form). */
function endpoint(env: Env, key: string): HostPort | null {
  const v = nonEmpty(env, key);
  if (v === undefined) return null;
  try {
    return parseHostPort(v, { requireIp: true, allowUnbracketedIpv6: true });
  } catch (e) {
    throw envError(
      `cannot resolve ${key} ${JSON.stringify(v)}: ${(e as Error).message} (expected <ip>:<port>)`,
      e,
    );
  }
}

function outboundBind(env: Env): OutboundBind {
  const out: { v4?: string; v6?: string } = {};
  const v4 = nonEmpty(env, 'TOR_PT_OUTBOUND_BIND_ADDRESS_V4');
  if (v4 !== undefined) {
    if (!isIPv4(v4)) {
      throw envError(
        `TOR_PT_OUTBOUND_BIND_ADDRESS_V4 ${JSON.stringify(v4)} is not an IPv4 address (torrc OutboundBindAddressPT / OutboundBindAddress)`,
      );
    }
    out.v4 = v4;
  }
  const v6raw = nonEmpty(env, 'TOR_PT_OUTBOUND_BIND_ADDRESS_V6');
  if (v6raw !== undefined) {
    // pt-spec writes it bracketed; accept it bare too.
    const v6 = v6raw.startsWith('[') && v6raw.endsWith(']') ? v6raw.slice(1, -1) : v6raw;
    if (!isIPv6(v6)) {
      throw envError(
        `TOR_PT_OUTBOUND_BIND_ADDRESS_V6 ${JSON.stringify(v6raw)} is not an IPv6 address (expected e.g. [2001:db8::4])`,
      );
    }
    out.v6 = v6;
  }
  return out;
}

function common(env: Env, cwd: string): CommonConfig {
  const state = nonEmpty(env, 'TOR_PT_STATE_LOCATION');
  if (state === undefined) {
    throw envError(
      'no TOR_PT_STATE_LOCATION environment variable: tor must name a state directory for the PT',
    );
  }
  return {
    stateDir: resolvePath(cwd, state),
    exitOnStdinClose: env['TOR_PT_EXIT_ON_STDIN_CLOSE'] === '1',
    outboundBind: outboundBind(env),
  };
}

function parseBindAddrs(
  value: string,
  requested: readonly string[],
  options: Map<string, PtArgs>,
): ServerBindAddr[] {
  const seen = new Set<string>();
  const out: ServerBindAddr[] = [];
  for (const spec of value.split(',')) {
    const dash = spec.indexOf('-');
    if (dash < 0) {
      throw envError(
        `TOR_PT_SERVER_BINDADDR: ${JSON.stringify(spec)}: doesn't contain "-" (expected <transport>-<ip>:<port>, comma separated)`,
      );
    }
    const transport = spec.slice(0, dash);
    if (seen.has(transport)) {
      throw envError(
        `TOR_PT_SERVER_BINDADDR: ${JSON.stringify(spec)}: duplicate method name ${JSON.stringify(transport)}`,
      );
    }
    seen.add(transport);
    let addr: HostPort;
    try {
      addr = parseHostPort(spec.slice(dash + 1), {
        requireIp: true,
        allowUnbracketedIpv6: true,
        allowPortZero: true,
      });
    } catch (e) {
      throw envError(
        `TOR_PT_SERVER_BINDADDR: ${JSON.stringify(spec)}: ${(e as Error).message} (check ServerTransportListenAddr in torrc)`,
        e,
      );
    }
    if (requested.includes(transport))
      out.push({ transport, addr, options: options.get(transport) ?? new Map() });
  }
  return out;
}

/**
 * Reads the whole managed-proxy environment except TOR_PT_PROXY.
 * @param cwd base for a relative TOR_PT_STATE_LOCATION (tor always sends an absolute one)
 * @throws ManagedProxyError: VERSION-ERROR first, then ENV-ERROR, in goptlib's order of checks.
 */
export function parseManagedEnv(env: Env, cwd: string = process.cwd()): ManagedConfig {
  const client = nonEmpty(env, 'TOR_PT_CLIENT_TRANSPORTS');
  const server = nonEmpty(env, 'TOR_PT_SERVER_TRANSPORTS');
  if (client !== undefined && server !== undefined) {
    throw envError(
      'TOR_PT_[CLIENT,SERVER]_TRANSPORTS both set: a steppe process is either a client (ClientTransportPlugin) or a bridge (ServerTransportPlugin)',
    );
  }
  negotiateVersion(env);
  if (client === undefined && server === undefined) {
    throw envError(
      'neither TOR_PT_CLIENT_TRANSPORTS nor TOR_PT_SERVER_TRANSPORTS is set: use steppe from a ClientTransportPlugin or ServerTransportPlugin line',
    );
  }
  const base = common(env, cwd);
  if (client !== undefined) {
    const transports = transportList(client);
    if (transports.length === 0)
      throw envError(`TOR_PT_CLIENT_TRANSPORTS ${JSON.stringify(client)} names no transport`);
    return { ...base, role: 'client', transports };
  }

  const transports = transportList(server ?? '');
  if (transports.length === 0)
    throw envError(`TOR_PT_SERVER_TRANSPORTS ${JSON.stringify(server)} names no transport`);
  const rawOptions = env['TOR_PT_SERVER_TRANSPORT_OPTIONS'] ?? '';
  let options: Map<string, PtArgs>;
  try {
    options = parseServerTransportOptions(rawOptions);
  } catch (e) {
    throw envError(
      `TOR_PT_SERVER_TRANSPORT_OPTIONS: ${JSON.stringify(rawOptions)}: ${(e as Error).message} (check ServerTransportOptions in torrc)`,
      e,
    );
  }
  const bindRaw = nonEmpty(env, 'TOR_PT_SERVER_BINDADDR');
  if (bindRaw === undefined) {
    throw envError(
      'no TOR_PT_SERVER_BINDADDR environment variable: tor must say where each server transport listens',
    );
  }
  const bindAddrs = parseBindAddrs(bindRaw, transports, options);
  const orPort = endpoint(env, 'TOR_PT_ORPORT');
  const authCookieFile = nonEmpty(env, 'TOR_PT_AUTH_COOKIE_FILE') ?? null;
  const extOrPort = endpoint(env, 'TOR_PT_EXTENDED_SERVER_PORT');
  if (extOrPort !== null && authCookieFile === null) {
    throw envError(
      'need TOR_PT_AUTH_COOKIE_FILE environment variable with TOR_PT_EXTENDED_SERVER_PORT',
    );
  }
  if (orPort === null && extOrPort === null) {
    throw envError(
      'need TOR_PT_ORPORT or TOR_PT_EXTENDED_SERVER_PORT environment variable: tor must say where to send clients',
    );
  }
  return {
    ...base,
    role: 'server',
    transports,
    bindAddrs,
    orPort,
    extOrPort,
    authCookieFile: authCookieFile === null ? null : resolvePath(cwd, authCookieFile),
  };
}

/**
 * TOR_PT_PROXY, validated like obfs4proxy's ptGetProxy (IP literal host, no path, SOCKS4a
 * without password, RFC 1929 lengths).
 * @throws ManagedProxyError('PROXY-ERROR') to be written after `VERSION 1`.
 */
export function parseProxyEnv(env: Env): ProxyConfig | null {
  const uri = nonEmpty(env, 'TOR_PT_PROXY');
  if (uri === undefined) return null;
  try {
    return parseProxyUri(uri, { requireIpLiteral: true });
  } catch (e) {
    throw new ManagedProxyError('PROXY-ERROR', (e as Error).message, { cause: e });
  }
}

/**
 * Creates the state directory if missing (mode 0700, like goptlib's MakeStateDir) and checks
 * that it is a writable directory.
 * @throws ManagedProxyError('ENV-ERROR') naming the path and the OS error.
 */
export async function ensureStateDir(dir: string): Promise<void> {
  const fail = (what: string, e: unknown): ManagedProxyError => {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const hint =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? '; make it writable by the user tor runs as (or point DataDirectory elsewhere)'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? '; a file is in the way: remove it or choose another DataDirectory'
          : '';
    const text = (e as Error).message;
    const why = text.startsWith(code) ? text : `${code} ${text}`;
    return envError(`TOR_PT_STATE_LOCATION ${JSON.stringify(dir)}: ${what}: ${why}${hint}`, e);
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw fail('cannot create the state directory', e);
  }
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, fsConstants.W_OK | fsConstants.X_OK);
  } catch (e) {
    throw fail('the state directory is not writable', e);
  }
}

/** For messages: `obfs4-127.0.0.1:9000` as TOR_PT_SERVER_BINDADDR writes it. */
export function describeBindAddr(b: ServerBindAddr): string {
  return `${b.transport}-${formatHostPort(b.addr)}`;
}
