/**
 * A managed client's connections (obfs4proxy's clientHandler), imported by the first one that
 * arrives (managed-client.ts): SOCKS, the upstream proxy protocols and the transport stay out
 * of a client that tor starts but never uses.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { publishConnectionClosed, publishConnectionOpened } from '../diagnostics.js';
import { InvalidArgsError, PtError } from '../errors.js';
import { formatHostPort } from '../net/address.js';
import { connectTcp, type ProxyConfig } from '../net/proxy.js';
import type { ClientConfig } from '../pt/env.js';
import { serveSocks } from '../socks/server.js';
import type { ClientFactory } from '../transports/types.js';
import type { ManagedContext } from './managed-context.js';

/**
 * The handler of one transport's SOCKS listener: each connection carries the bridge's address
 * and the Bridge line's args; steppe connects (directly or through TOR_PT_PROXY), runs the
 * transport handshake, and only then answers the SOCKS request.
 */
export function clientHandler(
  ctx: ManagedContext,
  config: ClientConfig,
  proxy: ProxyConfig | null,
  factory: ClientFactory,
  name: string,
): (socket: Socket) => void {
  return (socket) => handleClient(ctx, config, proxy, factory, name, socket);
}

function handleClient(
  ctx: ManagedContext,
  config: ClientConfig,
  proxy: ProxyConfig | null,
  factory: ClientFactory,
  name: string,
  socket: Socket,
): void {
  const { logger, lifecycle } = ctx;
  if (!lifecycle.track(socket)) return;
  const stats = ctx.stats?.for(name);
  let finish: (() => unknown) | undefined;
  const started = Date.now();
  let target = '?';
  let opened = false;
  serveSocks(socket, {
    signal: lifecycle.connections.open(socket).signal,
    // Tor never half-closes a connection: the first EOF ends it, as in obfs4proxy's copyLoop.
    halfClose: false,
    onConnect: async (req, signal): Promise<Duplex> => {
      target = logger.addr(formatHostPort(req.target));
      // Bad Bridge line args fail before anything goes on the wire.
      const args = factory.parseArgs(req.args ?? new Map());
      let raw;
      try {
        const target = (await factory.dialTarget?.(args, { proxied: proxy != null })) ?? req.target;
        raw = await connectTcp(target, {
          proxy,
          signal,
          outboundBind: config.outboundBind,
        });
      } catch (e) {
        stats?.connectFailed();
        throw e;
      }
      const stream = await factory.wrap(raw, args, { signal, peer: formatHostPort(req.target) });
      opened = true;
      // tor's SOCKS socket: what it sends after its SOCKS request is up (tor sends nothing
      // before the reply), what it gets from the SOCKS reply on is down.
      finish = stats?.open(socket, 'read', {
        bytesRead: socket.bytesRead,
        bytesWritten: socket.bytesWritten,
      });
      publishConnectionOpened(name, 'client');
      return stream;
    },
  }).then(
    (session) => {
      finish?.();
      const r = session.relay;
      logger.info(`${name}(${target}) - closed connection (${r.aToB} bytes up, ${r.bToA} down)`);
      publishConnectionClosed(name, 'client', started, r.bToA, r.aToB, r.error);
    },
    (e: unknown) => {
      finish?.();
      reportFailure(ctx, name, target, e);
      if (opened) publishConnectionClosed(name, 'client', started, 0, 0, e);
    },
  );
}

function reportFailure(ctx: ManagedContext, name: string, target: string, e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  if (e instanceof InvalidArgsError) {
    ctx.logger.error(`${name}(${target}) - invalid arguments: ${msg}`);
    // The operator can only fix this in torrc; tor's own log just says the connection failed.
    ctx.operator.notify('warning', `${name}: the Bridge line's arguments are invalid: ${msg}`);
    return;
  }
  if (e instanceof PtError && e.code === 'ERR_PROXY') {
    ctx.logger.error(`${name}(${target}) - upstream proxy failed: ${msg}`);
    ctx.operator.notify('warning', `${name}: upstream proxy: ${msg}`);
    return;
  }
  if (e instanceof PtError && e.code === 'ERR_SOCKS') {
    ctx.logger.warn(`${name} - SOCKS request failed: ${msg}`);
    return;
  }
  ctx.logger.error(`${name}(${target}) - connection failed: ${msg}`);
}
