import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import type { FlowPipeline, Pipeline } from './pipeline.js';
import type { Direction, FlowInfo } from './types.js';

/** An address on this machine. The bench relays between local processes only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return isIP(host) === 4 && host.startsWith('127.');
}

export interface MiddleboxOptions {
  /** The server under test. Must be a loopback address. */
  readonly target: { readonly host: string; readonly port: number };
  readonly pipeline: Pipeline;
  /** Listening address (loopback) and port (0: any free port). */
  readonly host?: string;
  readonly port?: number;
  /** The server address as the censor labels it (default: the target's). */
  readonly serverIp?: string;
  readonly serverPort?: number;
  /** The client address as the censor labels it (default: the real source address). */
  readonly clientLabel?: (remoteAddress: string, remotePort: number) => string;
  /** A stalled (dropped) flow is torn down after this long at the latest; default 120 s. */
  readonly maxFlowMs?: number;
  /** Sees every chunk before the censor does (recording first payloads for replay probes). */
  readonly tap?: (flow: FlowInfo, dir: Direction, bytes: Uint8Array) => void;
}

/** What happened to one flow, for evidence and tests. */
export interface FlowSummary {
  readonly flow: FlowInfo;
  start: 'connect' | 'dropSyn' | 'rst';
  bytes: { c2s: number; s2c: number; c2sDropped: number; s2cDropped: number };
  reset: boolean;
  intercepted: boolean;
  closed: boolean;
}

/**
 * The censor's position on the path: a userspace TCP relay on loopback. Every accepted connection
 * is a flow; each chunk read from either side goes through the censor pipeline before it is
 * forwarded, dropped, truncated or answered with a reset (censors.md §6.1, relay mode).
 */
export class Middlebox {
  readonly #opts: MiddleboxOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #summaries: FlowSummary[] = [];
  #nextId = 0;
  #closed = false;

  private constructor(opts: MiddleboxOptions, server: Server) {
    this.#opts = opts;
    this.#server = server;
  }

  static async listen(opts: MiddleboxOptions): Promise<Middlebox> {
    const host = opts.host ?? '127.0.0.1';
    if (!isLoopback(host) || !isLoopback(opts.target.host)) {
      throw new RangeError('the censor bench relays between loopback addresses only');
    }
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
    const mb = new Middlebox(opts, server);
    server.on('connection', (s) => mb.#onClient(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return mb;
  }

  /** Where clients connect. */
  get address(): { host: string; port: number } {
    const a = this.#server.address();
    if (a === null || typeof a === 'string') throw new Error('middlebox is not listening');
    return { host: a.address, port: a.port };
  }

  get pipeline(): Pipeline {
    return this.#opts.pipeline;
  }

  /** Every flow seen so far. */
  flows(): readonly FlowSummary[] {
    return this.#summaries;
  }

  /** Stops listening, tears down every flow and closes the models. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#opts.pipeline.close();
  }

  #track(s: Socket): void {
    this.#sockets.add(s);
    s.once('close', () => this.#sockets.delete(s));
  }

  #onClient(client: Socket): void {
    if (this.#closed) {
      client.destroy();
      return;
    }
    const o = this.#opts;
    this.#track(client);
    client.on('error', () => {});
    client.setNoDelay(true);
    const remote = client.remoteAddress ?? '127.0.0.1';
    const flow: FlowInfo = {
      id: ++this.#nextId,
      clientIp: o.clientLabel ? o.clientLabel(remote, client.remotePort ?? 0) : stripV4(remote),
      clientPort: client.remotePort ?? 0,
      serverIp: o.serverIp ?? o.target.host,
      serverPort: o.serverPort ?? o.target.port,
      startedAt: o.pipeline.ctx.clock.now(),
    };
    const t0 = performance.now();
    const summary: FlowSummary = {
      flow,
      start: 'connect',
      bytes: { c2s: 0, s2c: 0, c2sDropped: 0, s2cDropped: 0 },
      reset: false,
      intercepted: false,
      closed: false,
    };
    this.#summaries.push(summary);
    client.once('close', () => (summary.closed = true));
    const maxTimer = setTimeout(() => client.destroy(), o.maxFlowMs ?? 120_000);
    maxTimer.unref();
    client.once('close', () => clearTimeout(maxTimer));

    const { start, flow: fp } = o.pipeline.startFlow(flow);
    summary.start = start.kind;
    if (start.kind === 'rst') {
      summary.reset = true;
      client.resetAndDestroy();
      return;
    }
    if (start.kind === 'dropSyn') {
      // Accept, never connect upstream, never answer: the client sees a stall.
      client.on('data', (b: Buffer) => (summary.bytes.c2sDropped += b.length));
      client.on('end', () => {});
      client.resume();
      return;
    }

    const upstream = connect({ host: o.target.host, port: o.target.port, allowHalfOpen: true });
    this.#track(upstream);
    upstream.setNoDelay(true);
    let upstreamReset = false;
    upstream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET') upstreamReset = true;
    });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.resume();
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (fp.intercepted || client.destroyed) return;
      if (!connected) client.resetAndDestroy();
      else if (fp.isOpen('s2c')) {
        if (upstreamReset) client.resetAndDestroy();
        else if (!client.writableEnded) client.end();
      }
      // s2c dropped: the censor swallows the server's FIN/RST too; the client keeps stalling.
    });

    const resetBoth = (): void => {
      summary.reset = true;
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };

    const relay = (src: Socket, dst: Socket, dir: Direction): void => {
      src.on('data', (buf: Buffer) => {
        if (fp.intercepted) return;
        o.tap?.(flow, dir, buf);
        const r = fp.onChunk({ dir, t: performance.now() - t0, bytes: buf });
        if (r.reset) {
          resetBoth();
          return;
        }
        if (r.intercept) {
          summary.intercepted = true;
          this.#handOver(fp, client, upstream, buf, r.intercept, t0);
          return;
        }
        const fwd = r.forward;
        const n = fwd?.length ?? 0;
        if (dir === 'c2s') {
          summary.bytes.c2s += n;
          summary.bytes.c2sDropped += buf.length - n;
        } else {
          summary.bytes.s2c += n;
          summary.bytes.s2cDropped += buf.length - n;
        }
        if (fwd && n > 0 && !dst.destroyed && !dst.writableEnded && !dst.write(fwd)) {
          src.pause();
          dst.once('drain', () => src.resume());
        }
      });
      src.on('end', () => {
        if (fp.intercepted) return;
        if (fp.isOpen(dir) && !dst.destroyed && !dst.writableEnded) dst.end();
      });
    };
    relay(client, upstream, 'c2s');
    relay(upstream, client, 's2c');
  }

  #handOver(
    fp: FlowPipeline,
    client: Socket,
    upstream: Socket,
    first: Buffer,
    intercept: NonNullable<ReturnType<FlowPipeline['onChunk']>['intercept']>,
    t0: number,
  ): void {
    client.removeAllListeners('data');
    client.removeAllListeners('end');
    client.pause();
    upstream.removeAllListeners('data');
    upstream.destroy();
    const model = intercept.model;
    if (model.intercept === undefined) {
      client.destroy();
      return;
    }
    const pipeline = this.#opts.pipeline;
    model.intercept({
      flow: fp.flow,
      client,
      head: first,
      target: this.#opts.target,
      decision: intercept.decision,
      elapsedMs: () => performance.now() - t0,
      record: (d, dir) => pipeline.record(fp.flow, d, dir, performance.now() - t0),
    });
  }
}

function stripV4(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}
