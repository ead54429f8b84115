/**
 * Command-line flags of managed mode. Besides steppe's own spellings it takes obfs4proxy's
 * (`-enableLogging -logLevel INFO -unsafeLogging`), because torrc lines are often copied from
 * obfs4proxy setups; Go's flag package accepts one or two dashes and `-flag=value`.
 */
import { parseLogLevel, type LogLevel } from '../log/logger.js';
import { parseHostPort, type HostPort } from '../net/address.js';
import { parseWorkers } from '../cluster/workers-flag.js';

export interface ManagedFlags {
  /** Logging is on when asked for explicitly or when a level is given. */
  readonly logging: boolean;
  readonly logLevel: LogLevel;
  readonly unsafeLogging: boolean;
  /** Log file path or 'stderr'; default: steppe.log in the state directory. */
  readonly logFile: string | null;
  readonly help: boolean;
  /** `-version` (obfs4proxy) / `--version`: print the version and exit. */
  readonly version: boolean;
  /** `--metrics ADDR`: serve Prometheus metrics there (null: off). */
  readonly metrics: HostPort | null;
  /** `--metrics-public`: the metrics address may be other than loopback. */
  readonly metricsPublic: boolean;
  /** `--workers N|auto`: server worker processes (1: none, the default). */
  readonly workers: number;
}

export const MANAGED_USAGE = `steppe, run by tor as a managed pluggable transport (TOR_PT_* environment)

  ClientTransportPlugin obfs4 exec /path/to/steppe [flags]
  ServerTransportPlugin obfs4 exec /path/to/steppe [flags]

Flags (obfs4proxy's spellings in brackets also work):
  --log-level <error|warn|info|debug>   turn logging on at this level   [-logLevel]
  --enable-logging                      turn logging on (level error)   [-enableLogging]
  --unsafe-logging                      keep IP addresses in the log    [-unsafeLogging]
  --log-file <path|stderr>              where to log (default: <state dir>/steppe.log)
  --metrics <host:port>                 serve Prometheus metrics on http://host:port/metrics
  --metrics-public                      let --metrics listen on an address that is not loopback
  --workers <n|auto>                    bridge: handshakes in n worker processes (auto: one per core)

Metrics are optional: when their address is in use, or is not loopback without
--metrics-public (metrics reveal traffic volumes), steppe says so in one line of tor's log and
runs the transports without metrics, so that a bridge tor starts at boot does not go down over
them. A --metrics value that is not an address is a command-line error (exit 2).
`;

/** A bad flag; the message says what is wrong and what is accepted. */
export class FlagError extends Error {}

type FlagKind =
  'level' | 'enable' | 'unsafe' | 'file' | 'help' | 'version' | 'metrics' | 'public' | 'workers';

const NAMES: Readonly<Record<string, FlagKind>> = {
  metrics: 'metrics',
  'metrics-public': 'public',
  workers: 'workers',
  'log-level': 'level',
  logLevel: 'level',
  'enable-logging': 'enable',
  enableLogging: 'enable',
  'unsafe-logging': 'unsafe',
  unsafeLogging: 'unsafe',
  'log-file': 'file',
  logFile: 'file',
  help: 'help',
  h: 'help',
  version: 'version',
  V: 'version',
};

/** @throws FlagError */
export function parseManagedFlags(argv: readonly string[]): ManagedFlags {
  let logging = false;
  let level: LogLevel = 'error';
  let unsafe = false;
  let file: string | null = null;
  let help = false;
  let version = false;
  let metrics: HostPort | null = null;
  let metricsPublic = false;
  let workers = 1;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const m = /^--?([A-Za-z-]+)(?:=(.*))?$/s.exec(arg);
    const kind = m === null ? undefined : NAMES[m[1] ?? ''];
    if (m === null || kind === undefined) {
      throw new FlagError(
        `unknown argument ${JSON.stringify(arg)}; managed mode accepts --log-level, --enable-logging, --unsafe-logging, --log-file, --metrics, --metrics-public, --workers`,
      );
    }
    const inline = m[2];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new FlagError(`${arg} needs a value`);
      i += 1;
      return next;
    };
    const bool = (): boolean => {
      if (inline === undefined) return true;
      if (/^(1|t|true)$/i.test(inline)) return true;
      if (/^(0|f|false)$/i.test(inline)) return false;
      throw new FlagError(`${arg}: expected true or false`);
    };
    switch (kind) {
      case 'level': {
        const v = value();
        const parsed = parseLogLevel(v);
        if (parsed === null)
          throw new FlagError(
            `invalid log level ${JSON.stringify(v)}: use error, warn, info or debug`,
          );
        level = parsed;
        logging = true;
        break;
      }
      case 'enable':
        logging = bool();
        break;
      case 'unsafe':
        unsafe = bool();
        break;
      case 'file':
        file = value();
        logging = true;
        break;
      case 'help':
        help = true;
        break;
      case 'version':
        version = true;
        break;
      case 'metrics': {
        const v = value();
        try {
          metrics = parseHostPort(v, { allowPortZero: true });
        } catch (e) {
          throw new FlagError(`--metrics ${JSON.stringify(v)}: ${(e as Error).message}`);
        }
        break;
      }
      case 'public':
        metricsPublic = bool();
        break;
      case 'workers': {
        const n = parseWorkers(value());
        if (typeof n !== 'number') throw new FlagError(n.error);
        workers = n;
        break;
      }
    }
  }
  return {
    logging,
    logLevel: level,
    unsafeLogging: unsafe,
    logFile: file,
    help,
    version,
    metrics,
    metricsPublic,
    workers,
  };
}

/**
 * True when the process was started by tor as a managed proxy: TOR_PT_MANAGED_TRANSPORT_VER is
 * set and the command line holds flags only (no subcommand).
 */
export function isManagedInvocation(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env['TOR_PT_MANAGED_TRANSPORT_VER'] === undefined) return false;
  const first = argv[0];
  return first === undefined || first.startsWith('-');
}
