/**
 * Managed client (obfs4proxy's clientSetup): one SOCKS listener on 127.0.0.1 per requested
 * transport steppe has, reported with CMETHOD. The transport itself, SOCKS and the upstream
 * proxy protocols are imported by the listener's first connection
 * (managed-client-connection.ts): tor starts a client PT for the bridges in its torrc and may
 * never use it, and every module imported at start stays resident for the life of the process.
 */
import type { Socket } from 'node:net';
import { formatHostPort } from '../net/address.js';
import { listenTcp } from '../net/listen.js';
import { formatProxy, type ProxyConfig } from '../net/proxy-config.js';
import type { ClientConfig } from '../pt/env.js';
import type { TransportLoader } from '../transports/loader.js';
import { deferredHandler, managedAcceptErrors, type ManagedContext } from './managed-context.js';

/** Starts the listeners and writes CMETHOD lines; returns how many transports launched. */
export async function startClient(
  ctx: ManagedContext,
  config: ClientConfig,
  proxy: ProxyConfig | null,
  transports: TransportLoader,
): Promise<number> {
  const { writer, logger } = ctx;
  let launched = 0;
  for (const name of config.transports) {
    if (!transports.names.includes(name)) {
      // pt-spec §3.3.2: unknown transports are ignored, not answered with CMETHOD-ERROR.
      logger.info(`${name} - not a transport steppe has; ignored`);
      continue;
    }
    try {
      const listener = await listenTcp({
        host: '127.0.0.1',
        port: 0,
        acceptErrors: managedAcceptErrors(ctx, name),
        onConnection: deferredHandler(ctx, name, () =>
          loadHandler(ctx, config, proxy, transports, name),
        ),
      });
      ctx.lifecycle.addListener(listener);
      writer.cmethod(name, 'socks5', listener.address);
      logger.info(`${name} - registered listener: ${formatHostPort(listener.address)}`);
      launched += 1;
    } catch (e) {
      writer.cmethodError(name, (e as Error).message);
    }
  }
  writer.cmethodsDone();
  if (proxy !== null) logger.info(`using upstream proxy ${formatProxy(proxy)}`);
  return launched;
}

/** Imports `name` and the connection code, and sets up the transport's client. */
async function loadHandler(
  ctx: ManagedContext,
  config: ClientConfig,
  proxy: ProxyConfig | null,
  transports: TransportLoader,
  name: string,
): Promise<(socket: Socket) => void> {
  const [{ clientHandler }, registry] = await Promise.all([
    import('./managed-client-connection.js'),
    transports.load([name]),
  ]);
  const transport = registry.get(name);
  if (transport === undefined) throw new Error(`the ${name} transport did not load`);
  let factory;
  try {
    factory = transport.createClient({
      stateDir: config.stateDir,
      warn: (m) => ctx.logger.warn(`${name} - ${m}`),
    });
  } catch (e) {
    throw new Error(`cannot set up the ${name} client: ${(e as Error).message}`, { cause: e });
  }
  return clientHandler(ctx, config, proxy, factory, name);
}
