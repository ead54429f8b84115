/**
 * The load generator: bulk transfers, bursts of short connections, and idle connections, each
 * against a Target (a PT pair, or the sink directly for the harness ceiling). It samples the PT
 * processes' CPU time at the edges of the measurement window, so that CPU per GiB covers exactly
 * the bytes counted.
 */
import { performance } from 'node:perf_hooks';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cpuSeconds,
  mainThreadCpuSeconds,
  selfCpuSeconds,
  systemBusySeconds,
  systemCpuSeconds,
} from './proc.js';
import { CMD_DOWNLOAD, CMD_ECHO, CMD_UPLOAD, pump, type Sink } from './sink.js';
import type { Endpoint } from './socks.js';

export interface Target {
  readonly label: string;
  /** One connection whose far end is the sink, ready for the command byte. */
  dial(): Promise<Socket>;
  /** PIDs whose CPU time to account (none for the direct run). */
  pids(): { client: number; server: number } | null;
}

/** The sink reached with no PT in between: what the harness alone can move. */
export function directTarget(sink: Endpoint): Target {
  return {
    label: 'direct',
    dial: () =>
      new Promise((resolve, reject) => {
        const s = connect({ host: sink.host, port: sink.port, noDelay: true });
        s.once('connect', () => {
          s.removeListener('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      }),
    pids: () => null,
  };
}

export type Direction = 'up' | 'down';

export interface BulkOptions {
  readonly dir: Direction;
  readonly conns: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly chunk: Buffer;
}

export interface CpuDelta {
  client: number;
  server: number;
  /** The PTs' first threads alone (see mainThreadCpuSeconds). */
  clientMain: number;
  serverMain: number;
  /** The PTs' system time alone (see systemCpuSeconds). */
  clientKernel: number;
  serverKernel: number;
  harness: number;
  /** Every busy core-second on the machine, ours included. */
  system: number;
}

/** Cores' worth of CPU used by processes other than the PTs and the harness during a window. */
export function otherLoad(cpu: CpuDelta, seconds: number): number {
  const ours =
    (Number.isFinite(cpu.client) ? cpu.client : 0) +
    (Number.isFinite(cpu.server) ? cpu.server : 0) +
    cpu.harness;
  return Math.max(0, (cpu.system - ours) / seconds);
}

export interface BulkResult {
  bytes: number;
  seconds: number;
  /** 10^6 bytes per second of application data delivered at the far end. */
  mbps: number;
  cpu: CpuDelta;
  /** CPU seconds per 2^30 application bytes, per PT process. */
  cpuPerGiB: { client: number; server: number };
  /** Every byte delivered from the first dial to the end (warm-up included), for syscall counts. */
  totalBytes: number;
  /** The measurement window, in performance.now() milliseconds (for the timing relay). */
  windowMs: [number, number];
  error?: string;
}

function snapshotCpu(t: Target): CpuDelta {
  const p = t.pids();
  return {
    client: p ? cpuSeconds(p.client) : Number.NaN,
    server: p ? cpuSeconds(p.server) : Number.NaN,
    clientMain: p ? mainThreadCpuSeconds(p.client) : Number.NaN,
    serverMain: p ? mainThreadCpuSeconds(p.server) : Number.NaN,
    clientKernel: p ? systemCpuSeconds(p.client) : Number.NaN,
    serverKernel: p ? systemCpuSeconds(p.server) : Number.NaN,
    harness: selfCpuSeconds(),
    system: systemBusySeconds(),
  };
}

function diffCpu(a: CpuDelta, b: CpuDelta): CpuDelta {
  return {
    client: b.client - a.client,
    server: b.server - a.server,
    clientMain: b.clientMain - a.clientMain,
    serverMain: b.serverMain - a.serverMain,
    clientKernel: b.clientKernel - a.clientKernel,
    serverKernel: b.serverKernel - a.serverKernel,
    harness: b.harness - a.harness,
    system: b.system - a.system,
  };
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Waits for the first chunk on `sock` (echo or data), or rejects on close/timeout. */
function firstData(sock: Socket, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('timed out waiting for data')), timeoutMs);
    const onData = (b: Buffer): void => done(undefined, b);
    const onClose = (): void => done(new Error('closed before any data'));
    const done = (err?: Error, b?: Buffer): void => {
      clearTimeout(timer);
      sock.removeListener('data', onData);
      sock.removeListener('close', onClose);
      sock.removeListener('error', onClose);
      if (err) reject(err);
      else resolve(b ?? Buffer.alloc(0));
    };
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.once('error', onClose);
    sock.resume();
  });
}

/** Bulk throughput over `conns` parallel connections in one direction, time-boxed. */
export async function bulk(t: Target, sink: Sink, o: BulkOptions): Promise<BulkResult> {
  const socks: Socket[] = [];
  const stops: (() => void)[] = [];
  let down = 0;
  const result: BulkResult = {
    bytes: 0,
    seconds: 0,
    mbps: Number.NaN,
    cpu: {
      client: Number.NaN,
      server: Number.NaN,
      clientMain: Number.NaN,
      serverMain: Number.NaN,
      clientKernel: Number.NaN,
      serverKernel: Number.NaN,
      harness: Number.NaN,
      system: Number.NaN,
    },
    cpuPerGiB: { client: Number.NaN, server: Number.NaN },
    windowMs: [Number.NaN, Number.NaN],
    totalBytes: 0,
  };
  const uploadedBefore = sink.uploaded;
  try {
    const dialled = await Promise.all(Array.from({ length: o.conns }, () => t.dial()));
    socks.push(...dialled);
    for (const s of socks) {
      s.on('error', () => {});
      if (o.dir === 'up') {
        s.write(Buffer.from([CMD_UPLOAD]));
        s.resume();
        stops.push(pump(s, o.chunk));
      } else {
        s.on('data', (b: Buffer) => {
          down += b.length;
        });
        s.write(Buffer.from([CMD_DOWNLOAD]));
        s.resume();
      }
    }
    const counter = (): number => (o.dir === 'up' ? sink.uploaded : down);
    await sleep(o.warmupMs);
    const b0 = counter();
    const c0 = snapshotCpu(t);
    const t0 = performance.now();
    await sleep(o.measureMs);
    const b1 = counter();
    const c1 = snapshotCpu(t);
    const t1 = performance.now();
    result.windowMs = [t0, t1];
    result.bytes = b1 - b0;
    result.seconds = (t1 - t0) / 1000;
    result.mbps = result.bytes / result.seconds / 1e6;
    result.cpu = diffCpu(c0, c1);
    const gib = result.bytes / 2 ** 30;
    result.cpuPerGiB = { client: result.cpu.client / gib, server: result.cpu.server / gib };
    if (result.bytes === 0) result.error = 'no bytes arrived in the measurement window';
  } catch (err) {
    result.error = errText(err);
  } finally {
    result.totalBytes = o.dir === 'up' ? sink.uploaded - uploadedBefore : down;
    for (const stop of stops) stop();
    for (const s of socks) s.destroy();
    sink.destroyAll();
  }
  // Let the PTs drain what was in flight so it is not billed to the next measurement.
  await sleep(250);
  return result;
}

export interface HandshakeOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly timeoutMs: number;
}

export interface HandshakeResult {
  completed: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** connect → SOCKS → obfs4 handshake → one byte echoed back by the sink, per connection. */
  latenciesMs: number[];
  cpu: CpuDelta;
  /** CPU milliseconds per completed connection, per PT process. */
  cpuMsPerConn: { client: number; server: number };
  /** The part of cpuMsPerConn spent outside each PT's first thread. */
  offMainMsPerConn: { client: number; server: number };
  /** The part of cpuMsPerConn spent in the kernel (system time). */
  kernelMsPerConn: { client: number; server: number };
  /** This process's CPU milliseconds per completed connection: the SOCKS client and the sink. */
  harnessMsPerConn: number;
  error?: string;
}

/** Many short connections, `concurrency` in flight, until `durationMs` has passed. */
export async function handshakes(t: Target, o: HandshakeOptions): Promise<HandshakeResult> {
  const latencies: number[] = [];
  let failed = 0;
  let firstError: string | undefined;
  const c0 = snapshotCpu(t);
  const start = performance.now();
  const deadline = start + o.durationMs;
  const worker = async (): Promise<void> => {
    // Bounded by time; a failure backs off briefly so a broken PT cannot spin the loop.
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let sock: Socket | undefined;
      try {
        sock = await t.dial();
        sock.on('error', () => {});
        const echoed = firstData(sock, o.timeoutMs);
        sock.write(Buffer.from([CMD_ECHO, 0x2a]));
        await echoed;
        latencies.push(performance.now() - t0);
      } catch (err) {
        failed++;
        firstError ??= errText(err);
        await sleep(20);
      } finally {
        sock?.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpu = diffCpu(c0, snapshotCpu(t));
  const n = latencies.length;
  const r: HandshakeResult = {
    completed: n,
    failed,
    seconds,
    perSecond: n / seconds,
    latenciesMs: latencies,
    cpu,
    cpuMsPerConn: { client: (cpu.client * 1000) / n, server: (cpu.server * 1000) / n },
    offMainMsPerConn: {
      client: ((cpu.client - cpu.clientMain) * 1000) / n,
      server: ((cpu.server - cpu.serverMain) * 1000) / n,
    },
    kernelMsPerConn: {
      client: (cpu.clientKernel * 1000) / n,
      server: (cpu.serverKernel * 1000) / n,
    },
    harnessMsPerConn: (cpu.harness * 1000) / n,
  };
  if (firstError !== undefined) r.error = `${failed} failed; first: ${firstError}`;
  await sleep(250);
  return r;
}

export interface IdleSet {
  sockets: Socket[];
  failed: number;
  error?: string;
}

/**
 * Opens connections until `into` holds `n`, each proven established by one echoed byte, then
 * leaves them idle. `deadlineMs` bounds the whole step.
 */
export async function openIdle(
  t: Target,
  into: IdleSet,
  n: number,
  concurrency: number,
  deadlineMs: number,
): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  let toOpen = n - into.sockets.length;
  const worker = async (): Promise<void> => {
    while (toOpen > 0 && performance.now() < deadline) {
      toOpen--;
      let sock: Socket | undefined;
      try {
        sock = await t.dial();
        sock.on('error', () => {});
        const echoed = firstData(sock, 15_000);
        sock.write(Buffer.from([CMD_ECHO, 0x2a]));
        await echoed;
        sock.resume();
        into.sockets.push(sock);
      } catch (err) {
        sock?.destroy();
        into.failed++;
        into.error ??= errText(err);
        toOpen++;
        if (into.failed > n) return;
        await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, toOpen)) }, worker));
}
