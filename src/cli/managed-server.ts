/**
 * Managed server (obfs4proxy's serverSetup/serverHandler): one listener per TOR_PT_SERVER_BINDADDR
 * entry of a transport steppe has, reported as `SMETHOD <name> <addr> ARGS:<client args>`.
 * Each accepted connection runs the transport's server handshake, then goes on to tor's
 * Extended ORPort (SAFE_COOKIE, USERADDR, TRANSPORT) or, without one, the plain ORPort.
 */
import type { Socket } from 'node:net';
import { isIPv4 } from 'node:net';
import { publishConnectionClosed, publishConnectionOpened } from '../diagnostics.js';
import { PtError } from '../errors.js';
import { dialOr } from '../extorport/client.js';
import { formatHostPort, isLoopback } from '../net/address.js';
import { listenTcp } from '../net/listen.js';
import { holdPending } from '../net/pending.js';
import { relay } from '../net/relay.js';
import { realPeer } from '../tunnel/server.js';
import { describeBindAddr, type ServerConfig } from '../pt/env.js';
import type { ServerFactory } from '../transports/types.js';
import { WorkerPool } from '../cluster/pool.js';
import { servesInWorkers } from '../cluster/workers-flag.js';
import { managedAcceptErrors, type ManagedContext } from './managed-context.js';

/** `--workers` in managed mode: how many, and what the workers need to build the same server. */
export interface ManagedWorkers {
  readonly count: number;
  readonly argv: readonly string[];
}

/** Starts the listeners and writes SMETHOD lines; returns how many transports launched. */
export async function startServer(
  ctx: ManagedContext,
  config: ServerConfig,
  workers?: ManagedWorkers,
): Promise<number> {
  const { writer, logger, registry } = ctx;
  let launched = 0;
  const factories = new Map<string, ServerFactory>();
  let inProcess = false;
  const pool =
    workers === undefined || workers.count <= 1
      ? null
      : new WorkerPool({
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
          // Accepted paused for workers (that could not start, or that this transport cannot
          // use); the handshake listens this tick.
          if (pool !== null) s.resume();
          handleServer(ctx, config, factory, name, s);
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

/** `1.2.3.4:5678` or `[2001:db8::1]:5678`; IPv4-mapped IPv6 from a dual-stack socket as IPv4. */
function clientAddr(socket: Socket): string {
  let host = socket.remoteAddress ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped?.[1] !== undefined && isIPv4(mapped[1])) host = mapped[1];
  return host === '' ? '' : formatHostPort({ host, port: socket.remotePort ?? 0 });
}

/** One accepted connection: the transport handshake, then tor's (Extended) ORPort. */
export function handleServer(
  ctx: ManagedContext,
  config: ServerConfig,
  factory: ServerFactory,
  name: string,
  socket: Socket,
): void {
  const { logger, lifecycle } = ctx;
  if (!lifecycle.track(socket)) return;
  const stats = ctx.stats?.for(name);
  let userAddr = clientAddr(socket);
  let shown = logger.addr(userAddr);
  const started = Date.now();
  logger.info(`${name}(${shown}) - new connection`);
  const { signal } = lifecycle.connections.open(socket);
  void (async () => {
    let stream;
    try {
      stream = await factory.accept(socket, { signal });
    } catch (e) {
      // The transport owns the socket now and closes it the way its probe resistance wants.
      logger.warn(`${name}(${shown}) - handshake failed: ${(e as Error).message}`);
      return;
    }
    // Behind a reverse proxy (webtunnel) the TCP peer is the proxy; tor wants the client.
    const behind = realPeer(stream, socket);
    if (behind !== undefined) {
      userAddr = behind;
      shown = logger.addr(userAddr);
    }
    // Until the relay takes the stream over, a reset from the client must neither go unheard
    // (an unhandled 'error' would end the process) nor leave the ORPort dial running for nobody.
    const pending = holdPending(stream, signal);
    let or: Socket | undefined;
    let failure: unknown;
    try {
      or = await dialOr({
        extOrPort: config.extOrPort,
        orPort: config.orPort,
        authCookieFile: config.authCookieFile,
        userAddr,
        transport: name,
        outboundBind: config.outboundBind,
        signal: pending.signal,
      });
    } catch (e) {
      failure = e;
    }
    const gone = pending.release();
    if (gone !== undefined || or === undefined) {
      or?.destroy();
      stream.destroy();
      socket.destroy();
      if (gone !== undefined) {
        logger.info(`${name}(${shown}) - client left before the ORPort connected: ${gone.message}`);
        return;
      }
      stats?.connectFailed();
      const msg = (failure as Error).message;
      logger.error(`${name}(${shown}) - failed to connect to the ORPort: ${msg}`);
      if (failure instanceof PtError && failure.code === 'ERR_EXTORPORT')
        ctx.operator.notify('warning', `${name}: Extended ORPort: ${msg}`);
      return;
    }
    // The Extended ORPort's auth exchange so far is not the application's; tor sends nothing
    // before the client does, so nothing of the application's is in bytesRead yet.
    const finish = stats?.open(or, 'written', {
      bytesRead: or.bytesRead,
      bytesWritten: or.bytesWritten,
    });
    publishConnectionOpened(name, 'server');
    // The first EOF ends the connection, as in obfs4proxy's copyLoop (tor never half-closes).
    const r = await relay(or, stream, { signal, halfClose: false });
    socket.destroy();
    finish?.();
    if (r.error !== undefined)
      logger.warn(`${name}(${shown}) - closed connection: ${r.error.message}`);
    else logger.info(`${name}(${shown}) - closed connection`);
    publishConnectionClosed(name, 'server', started, r.bToA, r.aToB, r.error);
  })();
}
