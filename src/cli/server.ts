/**
 * `steppe server`: the standalone tunnel server (no tor). Loads or creates the identity in the
 * state directory, prints the bridge line and the share string (and a QR code on a terminal),
 * then accepts transport clients and forwards them. See the README, "Standalone mode".
 */
import { Command, Option } from 'commander';
import type { ServerFactory } from '../transports/types.js';
import { ptArgs } from '../transports/types.js';
import { formatHostPort } from '../net/address.js';
import { SERVER_FIELDS } from './config.js';
import {
  bridgeLine,
  clientFacingAddress,
  collect,
  configureCommand,
  loadConfigOption,
  makeLogger,
  onShutdown,
  parseListen,
  parseMetricsAddress,
  parsePublicAddress,
  parseTarget,
  pickTransport,
  qrCode,
  runAction,
  startOptionalMetrics,
  Settings,
  shareString,
  stateDir,
  transportNames,
  TRANSPORTS_HELP,
  UsageError,
} from './standalone.js';
import { onReload, RELOAD_HELP } from './reload.js';
import { SwappableLogger } from '../log/swappable.js';
import { startStatusLine, type StatusLine } from './status.js';
import { describeForward, startTunnelServer, type ForwardTarget } from '../tunnel/server.js';
import { addSnapshots, TunnelStats, type StatsSnapshot } from '../tunnel/stats.js';
import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { WorkerPool } from '../cluster/pool.js';
import type { WorkerPlan } from '../cluster/protocol.js';
import { parseWorkers, servesInWorkers } from '../cluster/workers-flag.js';
import { PtError } from '../errors.js';
import { readAuthCookieFile } from '../extorport/cookie.js';

export const SERVER_DESCRIPTION =
  'run a tunnel server without tor: accept transport clients and forward them to a target';

export function registerServer(program: Command): void {
  const cmd = program.command('server').description(SERVER_DESCRIPTION);
  configureCommand(cmd, 'server')
    .option('-t, --transport <name>', `transport (default: obfs4; steppe has: ${transportNames()})`)
    .option(
      '-l, --listen <addr>',
      'where clients connect: host:port, [v6]:port, or a port (0.0.0.0 and :: both)',
    )
    .option(
      '-f, --forward <target>',
      'host:port every client is forwarded to, or "socks": each client names its target',
    )
    .option(
      '-s, --state <dir>',
      'identity directory (default: $STATE_DIRECTORY, else ~/.local/state/steppe)',
    )
    .addOption(
      new Option('--iat-mode <n>', 'obfs4 inter-arrival-time obfuscation: 0 off, 1 on, 2 paranoid'),
    )
    .option(
      '--password <base32>',
      'scramblesuit: the shared secret, 32 Base32 characters (default: generated, kept in --state)',
    )
    .option(
      '--shared-secret <secret>',
      "obfs2: the Python obfsproxy's shared-secret extension (clients need the same secret)",
    )
    .option(
      '-o, --option <key=value>',
      "transport server option, repeatable (as tor's ServerTransportOptions)",
      collect,
    )
    .option(
      '--public-address <host[:port]>',
      'address clients use, for the bridge line and share string (default: guessed)',
    )
    .option('--proxy-protocol', 'send a PROXY protocol v2 header with the client address first')
    .option(
      '--tls-cert <file>',
      'webtunnel: terminate TLS with this PEM chain (no web server in front)',
    )
    .option('--tls-key <file>', 'webtunnel: the private key of --tls-cert')
    .option(
      '--ext-cookie-file <file>',
      "the target is tor's Extended ORPort: authenticate with this cookie file",
    )
    .option(
      '--workers <n|auto>',
      'handshakes and forwarding in n worker processes (auto: one per core; default 1: none)',
    )
    .option('--metrics <addr>', 'serve Prometheus metrics on http://ADDR/metrics')
    .option('--metrics-public', '--metrics may listen on an address that is not loopback')
    .option('--no-status', 'no live status line (it is shown only when stdout is a terminal)')
    .option('--no-qr', 'no QR code of the share string (shown only when stdout is a terminal)')
    .option('--log-level <level>', 'error, warn, info, debug or off (default: error)')
    .option('--log-file <path>', 'log to this file instead of stderr')
    .option('--unsafe-logging', 'keep client IP addresses in the log')
    .option('-c, --config <file>', 'read settings from a JSON or TOML file; flags override it')
    .addHelpText(
      'after',
      `
Examples:
  steppe server --listen 0.0.0.0:443 --forward 127.0.0.1:1194 --state /var/lib/steppe
  steppe server --listen 443 --forward socks --public-address vpn.example.org

--workers N: the main process accepts every connection and hands it to a worker in turn; it
keeps the replay filter, so a replayed handshake is refused whichever worker it reaches. A
worker that dies is logged and started again; connections on the others go on. ScrambleSuit
(whose replay filters cannot be shared yet) refuses --workers above 1.

It prints the bridge line and the share string (steppe://...) that clients need, then serves
until SIGINT or SIGTERM. Exit status: 0 stopped by a signal, 1 failure, 2 usage error.

${RELOAD_HELP}
${TRANSPORTS_HELP}`,
    )
    .action(async (_opts: unknown, c: Command) => runAction('server', () => runServer(c)));
}

async function runServer(cmd: Command): Promise<void> {
  const config = await loadConfigOption(cmd, SERVER_FIELDS);
  const s = new Settings(cmd, config);
  const transport = pickTransport(s.string('transport'));

  const listenS = s.string('listen');
  if (listenS === undefined) {
    throw new UsageError('--listen is required (where clients connect, e.g. 0.0.0.0:443)');
  }
  const listen = parseListen(listenS, '0.0.0.0');
  const forwardS = s.string('forward');
  if (forwardS === undefined) {
    throw new UsageError('--forward is required (host:port of the service, or "socks")');
  }
  const proxyProtocol = s.bool('proxy-protocol', false);
  const cookie = s.string('ext-cookie-file');
  let forward: ForwardTarget;
  if (forwardS.value.trim().toLowerCase() === 'socks') {
    if (proxyProtocol) {
      throw new UsageError('--proxy-protocol needs a fixed --forward host:port, not "socks"');
    }
    if (cookie !== undefined) {
      throw new UsageError(
        `${cookie.origin} needs --forward to be tor's Extended ORPort, not "socks"`,
      );
    }
    forward = { kind: 'socks' };
  } else if (cookie !== undefined) {
    if (proxyProtocol) {
      throw new UsageError(
        "--proxy-protocol and --ext-cookie-file exclude each other (tor's Extended ORPort gets the client address itself)",
      );
    }
    // Read again for every connection (tor rewrites it when it restarts), but a file that is
    // not there or not a cookie file at start is a mistake to report now, not per connection.
    await readAuthCookieFile(cookie.value, cookie.origin).catch((e: unknown) => {
      throw new PtError('ERR_INVALID_CONFIG', (e as Error).message, { cause: e });
    });
    forward = { kind: 'extorport', target: parseTarget(forwardS), cookieFile: cookie.value };
  } else {
    forward = { kind: 'fixed', target: parseTarget(forwardS), proxyProtocol };
  }

  const options = new Map<string, string[]>();
  for (const [k, v] of s.pairs('option', 'options').args) options.set(k, [v]);
  for (const flag of ['tls-cert', 'tls-key']) {
    const v = s.string(flag);
    if (v !== undefined) options.set(flag, [v.value]);
  }
  const iat = s.string('iat-mode');
  if (iat !== undefined) {
    const v = iat.value.trim();
    if (!/^[012]$/.test(v))
      throw new UsageError(`${iat.origin}: must be 0, 1 or 2, got ${JSON.stringify(v)}`);
    options.set('iat-mode', [v]);
  }
  const passwordS = s.string('password');
  if (passwordS !== undefined) options.set('password', [passwordS.value.trim()]);
  const secretS = s.string('shared-secret');
  if (secretS !== undefined) options.set('shared-secret', [secretS.value]);
  const pubS = s.string('public-address');
  const pub = pubS === undefined ? undefined : parsePublicAddress(pubS);
  const metricsS = s.string('metrics');
  const metricsAddr = parseMetricsAddress(s);
  const dir = stateDir(s.string('state'));
  const logger = new SwappableLogger(makeLogger(s));
  let pool: WorkerPool | null = null;
  onReload({
    command: 'server',
    cmd,
    fields: SERVER_FIELDS,
    running: s,
    logger,
    onReloaded: (next) => pool?.setLog(workerLog(next)),
  });

  const workers = parseWorkersSetting(s, transport.name);

  const factory: ServerFactory = await transport.createServer({ stateDir: dir, options });

  // Started after the factory wrote the identity, which the workers load.
  pool =
    workers <= 1
      ? null
      : await startPool(workers, logger, factory, {
          mode: 'standalone',
          transport: transport.name,
          stateDir: dir,
          options: [...options].map(([k, v]) => [k, v[0] ?? ''] as const),
          forward,
          log: workerLog(s),
        });

  const stats = new TunnelStats('server');
  stats.start();
  const server = await startTunnelServer({
    factory,
    listen,
    forward,
    logger,
    stats,
    setting: listenS.origin,
    ...(pool === null
      ? {}
      : { handOff: (socket: Socket) => pool.dispatch(transport.name, socket) }),
  }).catch(async (e: unknown) => {
    await pool?.close();
    await factory.close?.();
    throw e;
  });

  const remote = pool === null ? undefined : () => pool.stats();
  const metrics = await startOptionalMetrics(
    metricsAddr,
    metricsS,
    stats,
    transport.name,
    async () => {
      await server.close();
      await pool?.close();
    },
    remote,
  );

  const facing = clientFacingAddress(server.address, pub);
  // A transport whose clients dial an address of their own (webtunnel's url=) names the
  // Bridge line's placeholder address itself.
  const placeholder = transport.bridgeAddress?.(factory.clientArgs);
  const address = placeholder ?? facing.address;
  const guessed = placeholder === undefined && facing.guessed;
  const addr = formatHostPort(address);
  const args = factory.clientArgs.size > 0 ? factory.clientArgs : ptArgs({});
  const share = shareString(transport.name, address, args);
  const out = process.stdout;
  out.write(`${bridgeLine(transport.name, addr, args)}\n`);
  out.write(`${share}\n`);
  if (out.isTTY && s.bool('qr', true)) out.write(await qrCode(share));
  out.write(
    `ready: ${transport.name} server on ${formatHostPort(server.address)}, forwarding to ${describeForward(forward)}\n`,
  );
  if (metrics !== undefined)
    out.write(`metrics: http://${formatHostPort(metrics.address)}/metrics\n`);
  process.stderr.write(`steppe server: identity in ${dir}\n`);
  if (guessed) {
    process.stderr.write(
      `steppe server: clients are told ${address.host}, this host's first address; if they reach it by another address, pass --public-address HOST[:PORT]\n`,
    );
  }
  logger.info(
    `${transport.name} server listening on ${logger.addr(formatHostPort(server.address))}`,
  );

  let status: StatusLine | undefined;
  if (out.isTTY && s.bool('status', true)) {
    const shown = remote === undefined ? stats : pooledSnapshots(stats, remote);
    status = startStatusLine(shown, `steppe server ${transport.name}`, out);
  }
  if (pool !== null) process.stderr.write(`steppe server: ${workers} workers running\n`);
  onShutdown(async () => {
    status?.stop();
    await metrics?.close();
    await server.close();
    await pool?.close();
    stats.stop();
    logger.info('stopped');
    logger.flush();
  });
}

/** `--workers`: 1 (no workers) when absent. */
function parseWorkersSetting(s: Settings, transport: string): number {
  const setting = s.string('workers');
  if (setting === undefined) return 1;
  const n = parseWorkers(setting.value);
  if (typeof n !== 'number') throw new UsageError(n.error);
  if (n > 1 && !servesInWorkers(transport)) {
    throw new UsageError(
      `--workers ${n}: ${transport} keeps replay filters that worker processes cannot share yet; run it with --workers 1`,
    );
  }
  return n;
}

/** The log settings, for the workers to open the same log (null: logging off). */
function workerLog(s: Settings): { level: string; destination: string; unsafe: boolean } | null {
  const level = s.string('log-level')?.value ?? 'error';
  if (['off', 'none'].includes(level.toLowerCase())) return null;
  return {
    level,
    destination: s.string('log-file')?.value ?? 'stderr',
    unsafe: s.bool('unsafe-logging', false),
  };
}

async function startPool(
  count: number,
  logger: Logger,
  factory: ServerFactory,
  plan: WorkerPlan,
): Promise<WorkerPool> {
  const pool = new WorkerPool({
    count,
    plan,
    logger,
    factories: new Map([[factory.transportName, factory]]),
  });
  try {
    await pool.start();
  } catch (e) {
    await pool.close();
    await factory.close?.();
    throw new PtError(
      'ERR_INVALID_CONFIG',
      `the worker processes cannot start: ${(e as Error).message}`,
      { cause: e },
    );
  }
  return pool;
}

/**
 * The status line's counters with workers: this process's and the workers' (fetched over IPC
 * each second, so the line shows the sum as of the previous second).
 */
function pooledSnapshots(
  own: TunnelStats,
  remote: () => Promise<Array<[string, StatsSnapshot]>>,
): Pick<TunnelStats, 'snapshot'> {
  let theirs: StatsSnapshot | null = null;
  const refresh = (): void => {
    void remote().then((list) => {
      theirs = list
        .map(([, snap]) => snap)
        .reduce<StatsSnapshot | null>(
          (sum, snap) => (sum === null ? snap : addSnapshots(sum, snap)),
          null,
        );
    });
  };
  const timer = setInterval(refresh, 1000);
  timer.unref();
  refresh();
  return {
    snapshot: () => {
      const mine = own.snapshot();
      return theirs === null ? mine : addSnapshots(mine, theirs);
    },
  };
}
