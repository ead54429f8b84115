/**
 * A recording TCP relay placed between the client PT and the server PT, where a censor would sit.
 * It notes the arrival time and size of every read in each direction; the gaps between reads are
 * the inter-arrival times an observer sees, which is what iat-mode 1 and 2 are meant to shape.
 * Reads on loopback are close to segments: the PTs write small chunks with pauses between them at
 * iat-mode 1/2, and the relay disables Nagle on both sides so it does not merge them itself.
 */
import { performance } from 'node:perf_hooks';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenLoopback } from './listen.js';
import type { Endpoint } from './socks.js';

/** 0 = client→server (upstream), 1 = server→client (downstream). */
export type Leg = 0 | 1;

export class TimingRelay {
  private readonly server: Server;
  private readonly socks = new Set<Socket>();
  private endpoint: Endpoint | undefined;
  /** Fixed-size event log: time (ms, performance.now), size, leg. Stops recording when full. */
  private readonly times: Float64Array;
  private readonly sizes: Uint32Array;
  private readonly legs: Uint8Array;
  private n = 0;

  constructor(
    private readonly upstream: Endpoint,
    capacity = 400_000,
  ) {
    this.times = new Float64Array(capacity);
    this.sizes = new Uint32Array(capacity);
    this.legs = new Uint8Array(capacity);
    this.server = createServer({ noDelay: true }, (a) => this.accept(a));
  }

  async listen(): Promise<Endpoint> {
    this.endpoint = await listenLoopback(this.server, 'relay');
    return this.endpoint;
  }

  get address(): Endpoint {
    if (!this.endpoint) throw new Error('relay: not listening');
    return this.endpoint;
  }

  private record(leg: Leg, size: number): void {
    if (this.n >= this.times.length) return;
    this.times[this.n] = performance.now();
    this.sizes[this.n] = size;
    this.legs[this.n] = leg;
    this.n++;
  }

  private accept(a: Socket): void {
    const b = connect({ host: this.upstream.host, port: this.upstream.port, noDelay: true });
    for (const s of [a, b]) {
      this.socks.add(s);
      s.on('error', () => {
        a.destroy();
        b.destroy();
      });
      s.once('close', () => {
        this.socks.delete(s);
        a.destroy();
        b.destroy();
      });
    }
    const wire = (from: Socket, to: Socket, leg: Leg): void => {
      from.on('data', (chunk: Buffer) => {
        this.record(leg, chunk.length);
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    wire(a, b, 0);
    wire(b, a, 1);
  }

  /** Inter-arrival gaps (ms) and read sizes (bytes) on `leg` for reads in [fromMs, toMs]. */
  gaps(leg: Leg, fromMs: number, toMs: number): { gapsMs: number[]; sizes: number[] } {
    const gapsMs: number[] = [];
    const sizes: number[] = [];
    let prev = Number.NaN;
    for (let i = 0; i < this.n; i++) {
      if (this.legs[i] !== leg) continue;
      const t = this.times[i] ?? 0;
      if (t < fromMs || t > toMs) continue;
      if (!Number.isNaN(prev)) gapsMs.push(t - prev);
      sizes.push(this.sizes[i] ?? 0);
      prev = t;
    }
    return { gapsMs, sizes };
  }

  reset(): void {
    this.n = 0;
  }

  close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
