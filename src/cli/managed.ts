/**
 * Managed mode: steppe started by tor (`ClientTransportPlugin`/`ServerTransportPlugin ... exec`)
 * with TOR_PT_* in its environment, speaking pt-spec v1 on stdout.
 *
 * Order on stdout, which tor depends on:
 *   [ENV-ERROR | VERSION-ERROR]  (then exit)   – everything but the proxy is checked first,
 *   VERSION 1,
 *   [PROXY DONE | PROXY-ERROR]   (client with TOR_PT_PROXY),
 *   STATUS TYPE=version ...,
 *   CMETHOD/CMETHOD-ERROR... CMETHODS DONE  or  SMETHOD/SMETHOD-ERROR... SMETHODS DONE.
 */
import { join } from 'node:path';
import { createLogger, silentLogger, type Logger } from '../log/logger.js';
import {
  ensureStateDir,
  ManagedProxyError,
  parseManagedEnv,
  parseProxyEnv,
  type Env,
} from '../pt/env.js';
import { Lifecycle } from '../pt/lifecycle.js';
import { flushStdout, PtWriter, stdoutSink, type LineSink } from '../pt/writer.js';
import { registryLoader, type TransportLoader } from '../transports/loader.js';
import { TransportRegistry } from '../transports/registry.js';
import { IMPLEMENTATION, VERSION } from '../version.js';
import { OperatorNotices, type ManagedContext } from './managed-context.js';
import { FlagError, MANAGED_USAGE, parseManagedFlags, type ManagedFlags } from './managed-flags.js';

export { isManagedInvocation } from './managed-flags.js';

/** steppe's log file in the state directory (obfs4proxy: obfs4proxy.log). */
export const LOG_FILE_NAME = 'steppe.log';

export interface ManagedDeps {
  /** The transports, or a loader that imports only those tor asks for (what main.ts passes). */
  readonly registry: TransportRegistry | TransportLoader;
  readonly env?: Env;
  readonly cwd?: string;
  /** Where protocol lines go; default stdout. */
  readonly sink?: LineSink;
  /** Ends the process; default flushes stdout and calls process.exit. */
  readonly exit?: (code: number) => void;
}

/**
 * Runs managed mode until tor stops us. Never returns normally in production: the process ends
 * through `exit` (configuration errors, SIGTERM, stdin close, drained SIGINT).
 */
export async function runManaged(argv: readonly string[], deps: ManagedDeps): Promise<void> {
  const env = deps.env ?? process.env;
  const writer = new PtWriter(deps.sink ?? stdoutSink());
  let logger: Logger = silentLogger;
  const exit =
    deps.exit ??
    ((code: number): void => {
      void flushStdout().then(() => process.exit(code));
    });
  const finish = (code: number): void => {
    logger.flush();
    exit(code);
  };

  let flags: ManagedFlags;
  try {
    flags = parseManagedFlags(argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`steppe: ${e.message}\n`);
    writer.envError(`invalid command line in the torrc PT line: ${e.message}`);
    finish(2);
    return;
  }
  if (flags.help) {
    process.stderr.write(MANAGED_USAGE);
    finish(0);
    return;
  }
  if (flags.version) {
    // Like `obfs4proxy -version`: one line, before (instead of) the managed-proxy protocol.
    process.stdout.write(`${IMPLEMENTATION} ${VERSION}\n`);
    finish(0);
    return;
  }

  // Everything tor would need to log as ENV-ERROR/VERSION-ERROR is checked before VERSION 1.
  let config;
  try {
    config = parseManagedEnv(env, deps.cwd);
    await ensureStateDir(config.stateDir);
  } catch (e) {
    if (!(e instanceof ManagedProxyError)) throw e;
    if (e.keyword === 'VERSION-ERROR') writer.versionError(e.message);
    else writer.envError(e.message);
    finish(1);
    return;
  }
  if (flags.logging) {
    const destination = flags.logFile ?? join(config.stateDir, LOG_FILE_NAME);
    try {
      logger = createLogger({ level: flags.logLevel, destination, unsafe: flags.unsafeLogging });
    } catch (e) {
      writer.envError(
        `cannot open the log file ${JSON.stringify(destination)}: ${(e as Error).message}`,
      );
      finish(1);
      return;
    }
  }
  const log = logger;
  log.notice(`${IMPLEMENTATION} ${VERSION} - launched (${config.role})`);

  const lifecycle = new Lifecycle({
    exitOnStdinClose: config.exitOnStdinClose,
    onEvent: (m) => log.notice(m),
    onExit: () => {
      log.notice(`${IMPLEMENTATION} - terminated`);
      finish(0);
    },
  });
  lifecycle.start();

  const transports =
    deps.registry instanceof TransportRegistry ? registryLoader(deps.registry) : deps.registry;

  writer.version();
  // The counters and the metrics endpoint are imported only when --metrics asks for them.
  const stats =
    flags.metrics === null
      ? null
      : new (await import('../tunnel/stats-book.js')).StatsBook(config.role);
  const ctx: ManagedContext = {
    writer,
    logger: log,
    lifecycle,
    operator: new OperatorNotices(writer),
    stats,
  };
  if (stats !== null) {
    const { startManagedMetrics } = await import('./managed-metrics.js');
    const metrics = await startManagedMetrics(flags, stats, writer, log);
    if (metrics !== null) lifecycle.addListener(metrics);
  }

  let launched: number;
  if (config.role === 'client') {
    let proxy;
    try {
      proxy = parseProxyEnv(env);
    } catch (e) {
      if (!(e instanceof ManagedProxyError)) throw e;
      writer.proxyError(e.message);
      lifecycle.dispose();
      finish(1);
      return;
    }
    if (proxy !== null) writer.proxyDone();
    writer.statusVersion(IMPLEMENTATION, VERSION);
    if (flags.workers > 1)
      writer.log('notice', '--workers applies to bridges; the client runs in one process');
    // Each role imports only its own side (SOCKS and upstream proxies, or the Extended ORPort):
    // every module loaded at start is resident for the life of the process.
    const { startClient } = await import('./managed-client.js');
    launched = await startClient(ctx, config, proxy, transports);
  } else {
    writer.statusVersion(IMPLEMENTATION, VERSION);
    const { startServer } = await import('./managed-server.js');
    // A bridge loads its transports now: their state and options are checked at start, and
    // their args go in SMETHOD. A client imports each on its first connection instead.
    const registry = await transports.load(config.transports);
    launched = await startServer(ctx, config, registry, { count: flags.workers, argv });
  }

  if (launched === 0) {
    const requested = config.transports.join(',');
    writer.log(
      'error',
      `steppe ${VERSION} started none of the requested transports (${requested}); it has: ${transports.names.join(', ')}`,
    );
    log.error(`no transport launched (requested ${requested})`);
    lifecycle.dispose();
    finish(1);
    return;
  }
  log.info('accepting connections');
}

/**
 * Entry used by main.ts: runs managed mode with the given registry and turns an unexpected
 * exception into a logged exit instead of a stack trace on tor's stderr pipe only.
 */
export async function runManagedCli(argv: readonly string[], deps: ManagedDeps): Promise<void> {
  process.on('uncaughtException', (e) => {
    process.stderr.write(`steppe: internal error: ${e.stack ?? e.message}\n`);
    process.exit(70);
  });
  // A promise nobody awaited failed: a bug worth reporting (tor logs our stderr), but one
  // connection's failure must not take down every other connection of the bridge.
  process.on('unhandledRejection', (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : 'non-Error rejection';
    process.stderr.write(`steppe: unhandled rejection: ${text}\n`);
  });
  await runManaged(argv, deps);
}
