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
import { serveSocks, type SocksRequest, type SocksSession } from '../socks/server.js';
import type { ClientFactory } from '../transports/types.js';
import type { TunnelStats } from '../tunnel/stats.js';
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
  if (!ctx.lifecycle.track(socket)) return;
  new ClientConnection(ctx, config, proxy, factory, name, socket).start();
}

/**
 * One SOCKS connection from tor. A class with bound methods rather than closures in
 * handleClient: closures made per connection are recompiled after every full GC (see
 * net/resolvers.ts).
 */
class ClientConnection {
  readonly #stats: TunnelStats | undefined;
  readonly #started = Date.now();
  #finish: (() => unknown) | undefined;
  #target = '?';
  #opened = false;

  constructor(
    private readonly ctx: ManagedContext,
    private readonly config: ClientConfig,
    private readonly proxy: ProxyConfig | null,
    private readonly factory: ClientFactory,
    private readonly name: string,
    private readonly socket: Socket,
  ) {
    this.#stats = ctx.stats?.for(name);
  }

  start(): void {
    serveSocks(this.socket, {
      signal: this.ctx.lifecycle.connections.open(this.socket).signal,
      // Tor never half-closes a connection: the first EOF ends it, as in obfs4proxy's copyLoop.
      halfClose: false,
      onConnect: this.#connect.bind(this),
    }).then(this.#closed.bind(this), this.#failed.bind(this));
  }

  async #connect(req: SocksRequest, signal: AbortSignal): Promise<Duplex> {
    const { factory, socket } = this;
    this.#target = this.ctx.logger.addr(formatHostPort(req.target));
    // Bad Bridge line args fail before anything goes on the wire.
    const args = factory.parseArgs(req.args ?? new Map());
    let raw;
    try {
      const target =
        (await factory.dialTarget?.(args, { proxied: this.proxy != null })) ?? req.target;
      raw = await connectTcp(target, {
        proxy: this.proxy,
        signal,
        outboundBind: this.config.outboundBind,
      });
    } catch (e) {
      this.#stats?.connectFailed();
      throw e;
    }
    const stream = await factory.wrap(raw, args, { signal, peer: formatHostPort(req.target) });
    this.#opened = true;
    // tor's SOCKS socket: what it sends after its SOCKS request is up (tor sends nothing
    // before the reply), what it gets from the SOCKS reply on is down.
    this.#finish = this.#stats?.open(socket, 'read', {
      bytesRead: socket.bytesRead,
      bytesWritten: socket.bytesWritten,
    });
    publishConnectionOpened(this.name, 'client');
    return stream;
  }

  #closed(session: SocksSession): void {
    this.#finish?.();
    const r = session.relay;
    this.ctx.logger.info(
      `${this.name}(${this.#target}) - closed connection (${r.aToB} bytes up, ${r.bToA} down)`,
    );
    publishConnectionClosed(this.name, 'client', this.#started, r.bToA, r.aToB, r.error);
  }

  #failed(e: unknown): void {
    this.#finish?.();
    reportFailure(this.ctx, this.name, this.#target, e);
    if (this.#opened) publishConnectionClosed(this.name, 'client', this.#started, 0, 0, e);
  }
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
