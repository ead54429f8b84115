/**
 * A worker process of `--workers N` (started by pool.ts with an IPC channel). It builds the same
 * transport factories as the primary, from the same identity, with replay checks going to the
 * primary, then runs the handshake and forwarding of every socket the primary hands it. It
 * never writes to stdout (its stdout is not even tor's pipe); messages for tor's log go to the
 * primary. It ends when the primary's channel closes.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { createLogger, parseLogLevel, silentLogger, type Logger } from '../log/logger.js';
import { parseManagedEnv, type ServerConfig } from '../pt/env.js';
import { Lifecycle } from '../pt/lifecycle.js';
import { PtWriter } from '../pt/writer.js';
import { builtinLoader } from '../transports/builtin-loader.js';
import type { ServerFactory, SharedReplayFilter } from '../transports/types.js';
import { StatsBook } from '../tunnel/stats-book.js';
import { createTunnelHandler, type ForwardTarget } from '../tunnel/server.js';
import { handleServer } from '../cli/managed-server-connection.js';
import type { ManagedContext } from '../cli/managed-context.js';
import { parseManagedFlags } from '../cli/managed-flags.js';
import { LOG_FILE_NAME } from '../cli/managed.js';
import { join } from 'node:path';
import type { FromWorker, ToWorker, WorkerLog, WorkerPlan } from './protocol.js';
import { SwappableLogger } from '../log/swappable.js';
import { servesInWorkers } from './workers-flag.js';

function send(m: FromWorker): void {
  if (process.connected) process.send?.(m);
}

/** The primary's replay filter for one transport, asked over IPC. */
class RemoteReplay implements SharedReplayFilter {
  static #next = 0;
  static readonly pending = new Map<number, (seen: boolean) => void>();
  readonly #transport: string;

  constructor(transport: string) {
    this.#transport = transport;
  }

  testAndSet(nowMs: number, tag: Uint8Array): Promise<boolean> {
    return new Promise((resolve) => {
      const id = RemoteReplay.#next++;
      RemoteReplay.pending.set(id, resolve);
      send({ t: 'replay', id, transport: this.#transport, nowMs, tag });
    });
  }
}

/** A logger whose lines say which worker wrote them. */
function workerLogger(base: Logger, index: number): Logger {
  const tag = (m: string): string => `worker ${index}: ${m}`;
  return {
    get enabled() {
      return base.enabled;
    },
    addr: (a) => base.addr(a),
    flush: () => base.flush(),
    close: () => base.close(),
    error: (m) => base.error(tag(m)),
    warn: (m) => base.warn(tag(m)),
    notice: (m) => base.notice(tag(m)),
    info: (m) => base.info(tag(m)),
    debug: (m) => base.debug(tag(m)),
  };
}

type Handle = (transport: string, socket: Socket) => void;
let stats: StatsBook | null = null;

async function startManaged(
  plan: Extract<WorkerPlan, { mode: 'managed' }>,
  index: number,
): Promise<Handle> {
  const flags = parseManagedFlags(plan.argv);
  const config = parseManagedEnv(process.env) as ServerConfig;
  let logger: Logger = silentLogger;
  if (flags.logging) {
    const destination = flags.logFile ?? join(config.stateDir, LOG_FILE_NAME);
    logger = createLogger({ level: flags.logLevel, destination, unsafe: flags.unsafeLogging });
  }
  logger = workerLogger(logger, index);
  const lifecycle = new Lifecycle({
    exitOnStdinClose: false,
    watchParent: false,
    signals: new EventEmitter(),
    onExit: () => process.exit(0),
  });
  stats = plan.metrics ? new StatsBook('server') : null;
  // Only the transports tor asked for, as the primary: each is resident in every worker.
  const registry = await builtinLoader.load(config.transports);
  const ctx: ManagedContext = {
    // Never written to: tor hears from the primary only.
    writer: new PtWriter(() => undefined),
    logger,
    lifecycle,
    operator: {
      notify: (severity, message) => {
        if (severity === 'warning' || severity === 'error' || severity === 'notice')
          send({ t: 'log', severity, message });
        return true;
      },
    },
    stats,
  };
  const factories = new Map<string, ServerFactory>();
  for (const bind of config.bindAddrs) {
    const transport = registry.get(bind.transport);
    if (transport === undefined || factories.has(bind.transport)) continue;
    // The primary serves it itself (its replay state is not shared): no connection comes here.
    if (!servesInWorkers(bind.transport)) continue;
    try {
      factories.set(
        bind.transport,
        await transport.createServer({
          stateDir: config.stateDir,
          options: bind.options,
          sharedReplay: new RemoteReplay(bind.transport),
        }),
      );
    } catch {
      // The primary could not start it either (SMETHOD-ERROR): it sends no such connection.
    }
  }
  return (name, socket) => {
    const factory = factories.get(name);
    if (factory === undefined) return void socket.destroy();
    handleServer(ctx, config, factory, name, socket);
  };
}

async function startStandalone(
  plan: Extract<WorkerPlan, { mode: 'standalone' }>,
  index: number,
): Promise<Handle> {
  const transport = (await builtinLoader.load([plan.transport])).get(plan.transport);
  if (transport === undefined) throw new Error(`unknown transport ${plan.transport}`);
  const logger = standaloneLog;
  logger.replace(openLog(plan.log));
  stats = new StatsBook('server');
  const factory = await transport.createServer({
    stateDir: plan.stateDir,
    options: new Map(plan.options.map(([k, v]) => [k, [v]])),
    sharedReplay: new RemoteReplay(plan.transport),
  });
  const handler = createTunnelHandler({
    factory,
    forward: plan.forward as ForwardTarget,
    logger: workerLogger(logger, index),
    stats: stats.for(plan.transport),
    ...(plan.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: plan.connectTimeoutMs }),
  });
  return (_name, socket) => handler.handle(socket);
}

/** A standalone worker's log, reopened when the primary reloads (SIGHUP). */
const standaloneLog = new SwappableLogger(silentLogger);

function openLog(log: WorkerLog): Logger {
  if (log === null) return silentLogger;
  const level = parseLogLevel(log.level) ?? 'error';
  return createLogger({ level, destination: log.destination, unsafe: log.unsafe });
}

let handle: Handle | null = null;

process.on('message', (m: ToWorker, socket?: Socket) => {
  switch (m.t) {
    case 'init': {
      const start =
        m.plan.mode === 'managed'
          ? startManaged(m.plan, m.index)
          : startStandalone(m.plan, m.index);
      start.then(
        (h) => {
          handle = h;
          send({ t: 'ready' });
        },
        (e: unknown) => {
          send({ t: 'fatal', message: e instanceof Error ? e.message : String(e) });
          process.exitCode = 1;
          process.disconnect();
        },
      );
      break;
    }
    case 'conn': {
      if (socket === undefined) return;
      if (handle === null) return void socket.destroy();
      // The primary accepted it paused; give it the options listenTcp gives its sockets.
      socket.allowHalfOpen = true;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 15_000);
      handle(m.transport, socket);
      break;
    }
    case 'replay-result': {
      const done = RemoteReplay.pending.get(m.id);
      RemoteReplay.pending.delete(m.id);
      done?.(m.seen);
      break;
    }
    case 'log-settings': {
      try {
        standaloneLog.replace(openLog(m.log));
      } catch (e) {
        // The primary opened the same file a moment ago; if this worker cannot, it keeps its log.
        standaloneLog.error(`cannot reopen the log: ${(e as Error).message}`);
      }
      break;
    }
    case 'stats': {
      send({
        t: 'stats-result',
        id: m.id,
        stats: (stats?.entries() ?? []).map(([name, s]) => [name, s.snapshot()] as const),
      });
      break;
    }
  }
});

// The primary is gone (ended, or killed): so are its listeners; end with it.
process.on('disconnect', () => process.exit(process.exitCode ?? 0));
process.on('uncaughtException', (e) => {
  process.stderr.write(`steppe worker: internal error: ${e.stack ?? e.message}\n`);
  process.exit(70);
});
