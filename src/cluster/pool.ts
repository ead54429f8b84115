/**
 * `--workers N`: the primary's side. The primary keeps the listeners (so it alone writes the
 * managed-proxy protocol and knows the bound ports), accepts each connection paused and hands
 * the socket to a worker process in turn. It owns each transport's replay filter, so a probe or
 * a replayed handshake is caught whichever worker it reaches: workers ask it over IPC (one
 * round trip per handshake, measured in bench/perf/README.md). A worker that dies is logged
 * and started again; connections on the other workers go on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import type { ServerFactory } from '../transports/types.js';
import { addSnapshots, type StatsSnapshot } from '../tunnel/stats.js';
import type { FromWorker, ToWorker, WorkerLog, WorkerPlan } from './protocol.js';

const WORKER_ENTRY = fileURLToPath(new URL('./worker.js', import.meta.url));
/** Connections held while no worker is ready (all restarting); more are closed. */
const MAX_QUEUED = 256;
/** A worker that dies before it is ready is started again after this pause. */
const RESTART_BACKOFF_MS = 1_000;
const STATS_TIMEOUT_MS = 2_000;

export interface WorkerPoolOptions {
  readonly count: number;
  readonly plan: WorkerPlan;
  readonly logger: Logger;
  /** The primary's own factories by transport name; their replay filters answer the workers. */
  readonly factories: ReadonlyMap<string, ServerFactory>;
  /** A worker's message for tor's log (managed mode); absent: logged only. */
  readonly onOperatorLog?: (severity: 'warning' | 'error' | 'notice', message: string) => void;
}

interface Slot {
  readonly index: number;
  child: ChildProcess | null;
  ready: boolean;
  /** Pending stats requests to this worker. */
  readonly stats: Map<number, (s: ReadonlyArray<readonly [string, StatsSnapshot]>) => void>;
}

export class WorkerPool {
  readonly #opts: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Array<{ transport: string; socket: Socket }> = [];
  #next = 0;
  #statsId = 0;
  #closing = false;
  #firstReady: { resolve: () => void; reject: (e: Error) => void } | null = null;

  /** The plan new and restarted workers get (a reload changes its log settings). */
  #plan: WorkerPlan;

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
    this.#plan = opts.plan;
  }

  /**
   * After the primary reopened its log (SIGHUP): every standalone worker reopens its own with the
   * same settings, so that none keeps writing to a file logrotate moved away; workers started
   * later get them in their plan.
   */
  setLog(log: WorkerLog): void {
    if (this.#plan.mode !== 'standalone') return;
    this.#plan = { ...this.#plan, log };
    const msg: ToWorker = { t: 'log-settings', log };
    for (const slot of this.#slots) if (slot.child?.connected === true) slot.child.send(msg);
  }

  /** Starts every worker; resolves when all are ready, rejects when one cannot start. */
  start(): Promise<void> {
    const all = new Promise<void>((resolve, reject) => (this.#firstReady = { resolve, reject }));
    for (let i = 0; i < this.#opts.count; i++) {
      const slot: Slot = { index: i, child: null, ready: false, stats: new Map() };
      this.#slots.push(slot);
      this.#spawn(slot);
    }
    return all;
  }

  /** The pids of the running workers, by index (for logs and tests). */
  pids(): Array<number | undefined> {
    return this.#slots.map((s) => s.child?.pid);
  }

  /** Hands an accepted (paused) socket to the next ready worker. */
  dispatch(transport: string, socket: Socket): void {
    const ready = this.#slots.filter((s) => s.ready && s.child !== null);
    if (ready.length === 0) {
      if (this.#queue.length >= MAX_QUEUED) socket.destroy();
      else this.#queue.push({ transport, socket });
      return;
    }
    const slot = ready[this.#next++ % ready.length];
    this.#send(slot, transport, socket);
  }

  #send(slot: Slot | undefined, transport: string, socket: Socket): void {
    const child = slot?.child;
    if (child === null || child === undefined || !child.connected) {
      socket.destroy();
      return;
    }
    const msg: ToWorker = { t: 'conn', transport };
    child.send(msg, socket, { keepOpen: false }, (e) => {
      if (e !== null) socket.destroy();
    });
  }

  /** Every worker's stats, summed per transport (a worker that does not answer is left out). */
  async stats(): Promise<Array<[string, StatsSnapshot]>> {
    const answers = await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<ReadonlyArray<readonly [string, StatsSnapshot]>>((resolve) => {
            const child = slot.child;
            if (child === null || !slot.ready || !child.connected) return resolve([]);
            const id = this.#statsId++;
            const timer = setTimeout(() => {
              slot.stats.delete(id);
              resolve([]);
            }, STATS_TIMEOUT_MS);
            slot.stats.set(id, (s) => {
              clearTimeout(timer);
              resolve(s);
            });
            const msg: ToWorker = { t: 'stats', id };
            child.send(msg);
          }),
      ),
    );
    const sums = new Map<string, StatsSnapshot>();
    for (const list of answers)
      for (const [transport, s] of list) {
        const prev = sums.get(transport);
        sums.set(transport, prev === undefined ? s : addSnapshots(prev, s));
      }
    return [...sums];
  }

  /** Stops restarting and ends every worker (their connections with them). */
  async close(): Promise<void> {
    this.#closing = true;
    for (const q of this.#queue.splice(0)) q.socket.destroy();
    await Promise.all(
      this.#slots.map(async (slot) => {
        const child = slot.child;
        if (child === null || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((res) => child.once('exit', res));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }

  #spawn(slot: Slot): void {
    const { logger } = this.#opts;
    const started = Date.now();
    // Own process group: a terminal's Ctrl-C reaches the primary, which then ends the workers,
    // instead of racing it. Workers exit by themselves when the primary's IPC channel closes.
    const child = fork(WORKER_ENTRY, [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      detached: true,
    });
    slot.child = child;
    slot.ready = false;
    const init: ToWorker = { t: 'init', plan: this.#plan, index: slot.index };
    child.send(init);
    child.on('message', (m: FromWorker) => this.#onMessage(slot, child, m));
    child.on('error', (e) => logger.error(`worker ${slot.index}: ${e.message}`));
    child.once('exit', (code, signal) => {
      if (slot.child === child) {
        slot.child = null;
        slot.ready = false;
      }
      for (const done of slot.stats.values()) done([]);
      slot.stats.clear();
      if (this.#closing) return;
      const how = signal === null ? `with status ${code}` : `by ${signal}`;
      const line = `worker ${slot.index} (pid ${child.pid}) ended ${how}; its connections are lost, the others go on; starting it again`;
      logger.error(line);
      this.#opts.onOperatorLog?.('warning', line);
      const early = Date.now() - started < RESTART_BACKOFF_MS;
      const t = setTimeout(
        () => this.#closing || this.#spawn(slot),
        early ? RESTART_BACKOFF_MS : 0,
      );
      t.unref();
    });
  }

  #onMessage(slot: Slot, child: ChildProcess, m: FromWorker): void {
    switch (m.t) {
      case 'ready': {
        slot.ready = true;
        this.#opts.logger.info(`worker ${slot.index} (pid ${child.pid}) ready`);
        if (this.#slots.every((s) => s.ready)) {
          this.#firstReady?.resolve();
          this.#firstReady = null;
        }
        for (const q of this.#queue.splice(0)) this.dispatch(q.transport, q.socket);
        break;
      }
      case 'fatal':
        this.#opts.logger.error(`worker ${slot.index}: ${m.message}`);
        this.#firstReady?.reject(new Error(m.message));
        this.#firstReady = null;
        break;
      case 'replay': {
        const filter = this.#opts.factories.get(m.transport)?.replayFilter;
        const seen = filter?.testAndSet(m.nowMs, m.tag) ?? false;
        const reply: ToWorker = { t: 'replay-result', id: m.id, seen };
        if (child.connected) child.send(reply);
        break;
      }
      case 'log':
        this.#opts.onOperatorLog?.(m.severity, m.message);
        break;
      case 'stats-result': {
        const done = slot.stats.get(m.id);
        slot.stats.delete(m.id);
        done?.(m.stats);
        break;
      }
    }
  }
}
