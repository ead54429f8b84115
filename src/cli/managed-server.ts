/**
 * Managed server (obfs4proxy's serverSetup): one listener per TOR_PT_SERVER_BINDADDR entry of a
 * transport steppe has, reported as `SMETHOD <name> <addr> ARGS:<client args>`. The transports
 * are set up here, at start, so that bad state or options fail before SMETHODS DONE; what
 * serves a connection (managed-server-connection.ts: the ORPort client, the relay) is imported
 * by the first one.
 */
import { formatHostPort, isLoopback } from '../net/address.js';
import { listenTcp } from '../net/listen.js';
import { describeBindAddr, type ServerConfig } from '../pt/env.js';
import type { TransportRegistry } from '../transports/registry.js';
import type { ServerFactory } from '../transports/types.js';
import { servesInWorkers } from '../cluster/workers-flag.js';
import { deferredHandler, managedAcceptErrors, type ManagedContext } from './managed-context.js';

/** `--workers` in managed mode: how many, and what the workers need to build the same server. */
export interface ManagedWorkers {
  readonly count: number;
  readonly argv: readonly string[];
}

/** Starts the listeners and writes SMETHOD lines; returns how many transports launched. */
export async function startServer(
  ctx: ManagedContext,
  config: ServerConfig,
  registry: TransportRegistry,
  workers?: ManagedWorkers,
): Promise<number> {
  const { writer, logger } = ctx;
  let launched = 0;
  const factories = new Map<string, ServerFactory>();
  let inProcess = false;
  // The pool's module (child processes, IPC) only for --workers.
  const pool =
    workers === undefined || workers.count <= 1
      ? null
      : new (await import('../cluster/pool.js')).WorkerPool({
          count: workers.count,
          plan: { mode: 'managed', argv: workers.argv, metrics: ctx.stats !== null },
          logger,
          factories,
          onOperatorLog: (severity, message) => ctx.operator.notify(severity, message),
        });
  for (const bind of config.bindAddrs) {
    const name = bind.transport;
    const transport = registry.get(name);
    if (transport === undefined) {
      logger.info(`${name} - not a transport steppe has; ignored`);
      continue;
    }
    let factory: ServerFactory;
    try {
      factory = await transport.createServer({ stateDir: config.stateDir, options: bind.options });
    } catch (e) {
      writer.smethodError(
        name,
        `${(e as Error).message} (check ServerTransportOptions ${name} and the state in ${config.stateDir})`,
      );
      continue;
    }
    const serve = deferredHandler(ctx, name, async () => {
      const { handleServer } = await import('./managed-server-connection.js');
      return (s) => {
        // Accepted paused for workers (that could not start, or that this transport cannot
        // use); the handshake listens this tick.
        if (pool !== null) s.resume();
        handleServer(ctx, config, factory, name, s);
      };
    });
    try {
      const listener = await listenTcp({
        host: bind.addr.host,
        port: bind.addr.port,
        dualStack: true,
        setting: `ServerTransportListenAddr ${name}`,
        acceptErrors: managedAcceptErrors(ctx, name),
        pauseOnConnect: pool !== null,
        onConnection: (s) => {
          if (pool !== null && !inProcess && servesInWorkers(name)) return pool.dispatch(name, s);
          serve(s);
        },
      });
      factories.set(name, factory);
      ctx.lifecycle.addListener(listener);
      ctx.lifecycle.addListener({ close: () => Promise.resolve(factory.close?.()) });
      writer.smethod(name, listener.address, factory.clientArgs);
      logger.info(
        `${name} - registered listener: ${logger.addr(formatHostPort(listener.address))}`,
      );
      launched += 1;
    } catch (e) {
      void factory.close?.();
      writer.smethodError(name, `${describeBindAddr(bind)}: ${(e as Error).message}`);
    }
  }
  for (const name of config.transports) {
    if (registry.get(name) !== undefined && !config.bindAddrs.some((b) => b.transport === name)) {
      writer.smethodError(
        name,
        `tor gave no TOR_PT_SERVER_BINDADDR entry for ${name}; set ServerTransportListenAddr ${name} <ip>:<port>`,
      );
    }
  }
  if (config.extOrPort !== null && !isLoopback(config.extOrPort.host)) {
    // ext-orport-spec: the channel is not encrypted; say so (in SMETHODS, before DONE).
    writer.log(
      'warning',
      `the Extended ORPort ${formatHostPort(config.extOrPort)} is not on localhost: traffic between steppe and tor crosses the network unencrypted`,
    );
  }
  if (pool !== null && launched > 0) {
    // Workers load the identity the primary has just written; connections wait for them.
    ctx.lifecycle.addListener({ close: () => pool.close() });
    ctx.stats?.setRemote(() => pool.stats());
    pool.start().then(
      () =>
        writer.log('notice', `${workers?.count} workers running (pids ${pool.pids().join(', ')})`),
      (e: unknown) => {
        // Serve in this process rather than not at all.
        inProcess = true;
        writer.log(
          'error',
          `the worker processes cannot start (${(e as Error).message}); serving in one process`,
        );
        void pool.close();
      },
    );
  }
  writer.smethodsDone();
  return launched;
}
