/**
 * A managed server's connections (obfs4proxy's serverHandler), imported by the first one
 * (managed-server.ts) and by each worker: the transport's server handshake, then tor's Extended
 * ORPort (SAFE_COOKIE, USERADDR, TRANSPORT) or, without one, the plain ORPort.
 */
import type { Socket } from 'node:net';
import { isIPv4 } from 'node:net';
import { publishConnectionClosed, publishConnectionOpened } from '../diagnostics.js';
import { PtError } from '../errors.js';
import { dialOr } from '../extorport/client.js';
import { formatHostPort } from '../net/address.js';
import { holdPending } from '../net/pending.js';
import { relay } from '../net/relay.js';
import { realPeer } from '../tunnel/server.js';
import type { ServerConfig } from '../pt/env.js';
import type { ServerFactory } from '../transports/types.js';
import type { ManagedContext } from './managed-context.js';

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
  // The peer's address costs a getpeername(2) and a scrub per connection (≈ 1 % of a server's
  // CPU per connection in a profile); only the Extended ORPort's USERADDR and an open log use it.
  let userAddr = config.extOrPort !== null || logger.enabled ? clientAddr(socket) : '';
  let shown = logger.enabled ? logger.addr(userAddr) : '';
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
