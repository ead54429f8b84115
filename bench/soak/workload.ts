/**
 * The mixed load of the soak bench against one PT pair, the same for steppe and obfs4proxy:
 *   churn      short tunnelled connections (SOCKS, obfs4 handshake, 64 echoed bytes, close);
 *   idle       a pool of established tunnelled connections, a few replaced every second;
 *   bulk       one tunnelled connection at a time echoing a few MiB, hash-checked, then a pause;
 *   probes     connections to the bridge port that send garbage and then reset, half-close or
 *              wait for the server to give up (what an active prober or a scanner does);
 *   slowloris  connections to the bridge port that trickle one byte every few seconds.
 * Every loop stops at `stop()`; every socket the bench holds is destroyed then. Failures are
 * counted, never fatal: a PT that misbehaves shows up in the counters and the report.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CMD_ECHO } from '../perf/sink.js';
import type { PtPair } from '../perf/pt-pair.js';
import type { SoakConfig } from './config.js';

export interface WorkloadCounts {
  churnOk: number;
  churnFailed: number;
  bulkOk: number;
  bulkFailed: number;
  bulkBytes: number;
  idleOpened: number;
  idleFailed: number;
  /** Idle connections that closed while the bench still held them (a PT dropped them). */
  idleDropped: number;
  probes: number;
  /** Bytes a bridge sent back to garbage (obfs4 must send none). */
  probeBytesBack: number;
  slowloris: number;
  firstError?: string;
}

/** What the bench holds open right now, sampled beside the PTs' numbers. */
export interface WorkloadLive {
  idle: number;
  probes: number;
  slowloris: number;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sends `payload` on an echo connection and resolves when as many bytes came back, checked. */
function echoRoundTrip(sock: Socket, payload: Buffer, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const want = createHash('sha256').update(payload).digest('hex');
    const got = createHash('sha256');
    let n = 0;
    const timer = setTimeout(
      () => finish(new Error(`echo: ${n} of ${payload.length} bytes`)),
      timeoutMs,
    );
    const onData = (b: Buffer): void => {
      n += b.length;
      got.update(b);
      if (n >= payload.length) {
        finish(
          n === payload.length && got.digest('hex') === want
            ? undefined
            : new Error('echo: bytes differ'),
        );
      }
    };
    const onClose = (): void =>
      finish(new Error(`echo: closed after ${n} of ${payload.length} bytes`));
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.resume();
    sock.write(Buffer.concat([Buffer.from([CMD_ECHO]), payload]));
  });
}

export class Workload {
  readonly counts: WorkloadCounts = {
    churnOk: 0,
    churnFailed: 0,
    bulkOk: 0,
    bulkFailed: 0,
    bulkBytes: 0,
    idleOpened: 0,
    idleFailed: 0,
    idleDropped: 0,
    probes: 0,
    probeBytesBack: 0,
    slowloris: 0,
  };
  private stopped = false;
  private readonly idle: Socket[] = [];
  private readonly held = new Set<Socket>();
  private probesOpen = 0;
  private slowOpen = 0;
  private readonly loops: Promise<void>[] = [];
  private readonly bulkPayload: Buffer;

  constructor(
    private readonly pair: PtPair,
    private readonly cfg: SoakConfig,
  ) {
    this.bulkPayload = randomBytes(cfg.bulkBytes);
  }

  live(): WorkloadLive {
    return { idle: this.idle.length, probes: this.probesOpen, slowloris: this.slowOpen };
  }

  start(): void {
    this.loops.push(this.every(this.cfg.churnPerSec, 32, () => this.churnOne()));
    this.loops.push(this.idleLoop());
    this.loops.push(this.bulkLoop());
    this.loops.push(this.every(this.cfg.probesPerSec, this.cfg.maxProbes, () => this.probeOne()));
    this.loops.push(this.slowlorisLoop());
  }

  /** Stops every loop and destroys every socket the bench holds. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.held) s.destroy();
    this.held.clear();
    this.idle.length = 0;
    await Promise.all(this.loops);
  }

  private fail(err: unknown): void {
    this.counts.firstError ??= errText(err);
  }

  /** A socket the bench must destroy at stop(). */
  private hold(s: Socket): Socket {
    this.held.add(s);
    s.on('error', () => {});
    s.once('close', () => this.held.delete(s));
    if (this.stopped) s.destroy();
    return s;
  }

  /** Starts `task` `perSec` times a second, never more than `cap` at once, until stop(). */
  private async every(perSec: number, cap: number, task: () => Promise<void>): Promise<void> {
    if (perSec <= 0) return;
    const gapMs = 1000 / perSec;
    const running = new Set<Promise<void>>();
    let next = performance.now();
    while (!this.stopped) {
      if (running.size < cap) {
        const p = task().catch((err: unknown) => this.fail(err));
        running.add(p);
        void p.finally(() => running.delete(p));
      }
      next += gapMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
    await Promise.all(running);
  }

  private async churnOne(): Promise<void> {
    let sock: Socket | undefined;
    try {
      sock = this.hold(await this.pair.dial(undefined, 20_000));
      await echoRoundTrip(sock, randomBytes(64), 20_000);
      this.counts.churnOk++;
      // Alternate a clean close and an abortive one: both must free everything on the PTs.
      if (this.counts.churnOk % 2 === 0) sock.end();
      else sock.destroy();
    } catch (err) {
      if (!this.stopped) {
        this.counts.churnFailed++;
        this.fail(err);
      }
      sock?.destroy();
    }
  }

  private async openIdle(): Promise<void> {
    try {
      const sock = this.hold(await this.pair.dial(undefined, 20_000));
      await echoRoundTrip(sock, randomBytes(16), 20_000);
      if (this.stopped) {
        sock.destroy();
        return;
      }
      this.idle.push(sock);
      this.counts.idleOpened++;
      sock.once('close', () => {
        const i = this.idle.indexOf(sock);
        if (i >= 0) {
          this.idle.splice(i, 1);
          if (!this.stopped) this.counts.idleDropped++;
        }
      });
    } catch (err) {
      if (!this.stopped) {
        this.counts.idleFailed++;
        this.fail(err);
      }
    }
  }

  private async idleLoop(): Promise<void> {
    const target = this.cfg.idle;
    if (target <= 0) return;
    while (!this.stopped) {
      // Fill up, 8 at a time; once full, replace the oldest few each second.
      if (this.idle.length >= target) {
        for (let i = 0; i < this.cfg.idleTurnoverPerSec; i++) this.idle.shift()?.destroy();
      }
      const failedBefore = this.counts.idleFailed;
      const batch = Math.min(8, target - this.idle.length);
      await Promise.all(Array.from({ length: batch }, () => this.openIdle()));
      if (this.idle.length >= target) await this.pause(1000);
      else if (this.counts.idleFailed > failedBefore) await this.pause(250);
    }
  }

  private async bulkLoop(): Promise<void> {
    while (!this.stopped) {
      let sock: Socket | undefined;
      try {
        sock = this.hold(await this.pair.dial(undefined, 20_000));
        await echoRoundTrip(sock, this.bulkPayload, 120_000);
        this.counts.bulkOk++;
        this.counts.bulkBytes += this.bulkPayload.length;
      } catch (err) {
        if (!this.stopped) {
          this.counts.bulkFailed++;
          this.fail(err);
        }
      } finally {
        sock?.destroy();
      }
      await this.pause(this.cfg.bulkPauseMs);
    }
  }

  /** Sleeps up to `ms`, waking early at stop(). */
  private async pause(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (!this.stopped && performance.now() < end)
      await sleep(Math.min(250, end - performance.now()));
  }

  /** A raw TCP connection to the bridge port (no SOCKS, no obfs4). */
  private rawBridge(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: this.pair.bridge.host, port: this.pair.bridge.port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(this.hold(s));
      });
      s.once('error', reject);
    });
  }

  private async probeOne(): Promise<void> {
    this.probesOpen++;
    try {
      const sock = await this.rawBridge();
      this.counts.probes++;
      sock.on('data', (b: Buffer) => {
        this.counts.probeBytesBack += b.length;
      });
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      sock.write(randomBytes(1 + Math.floor(Math.random() * 8192)));
      const how = this.counts.probes % 3;
      if (how === 0) {
        sock.resetAndDestroy();
      } else if (how === 1) {
        sock.end();
      }
      // how === 2: wait for the server to close at its handshake deadline (or for stop()); a
      // bound in case a PT never closes: it would show as held fds on both ends.
      const bound = setTimeout(() => sock.destroy(), 180_000);
      await closed;
      clearTimeout(bound);
    } finally {
      this.probesOpen--;
    }
  }

  private async slowOne(): Promise<void> {
    this.slowOpen++;
    try {
      const sock = await this.rawBridge();
      this.counts.slowloris++;
      const closed = new Promise<void>((r) => sock.once('close', () => r()));
      let open = true;
      void closed.then(() => (open = false));
      const bound = performance.now() + 180_000;
      while (open && !this.stopped && performance.now() < bound) {
        sock.write(randomBytes(1));
        await Promise.race([closed, sleep(this.cfg.slowByteMs)]);
      }
      sock.destroy();
    } finally {
      this.slowOpen--;
    }
  }

  private async slowlorisLoop(): Promise<void> {
    const n = this.cfg.slowloris;
    if (n <= 0) return;
    const running = new Set<Promise<void>>();
    while (!this.stopped) {
      // Open up to two a second until `n` are held, replacing those the server closed.
      for (let i = 0; i < 2 && running.size < n; i++) {
        const p = this.slowOne().catch((err: unknown) => this.fail(err));
        running.add(p);
        void p.finally(() => running.delete(p));
      }
      await this.pause(1000);
    }
    await Promise.all(running);
  }
}
