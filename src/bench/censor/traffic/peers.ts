/**
 * The processes a row depends on (obfs4proxy's server and client, steppe's in-process server) can
 * die or stop listening in the middle of a cell: obfs4proxy 0.0.14 panics in iat-mode 2 (`BUG:
 * Write(), iat length was 0`). Sessions then fail with ECONNREFUSED or a short echo, which reads
 * exactly like a censor's block. The matrix asks the row's PeerWatch after every cell whether a
 * peer went down since the cell started; if one did, the peer is restarted and the cell is
 * measured again, and the crash is reported in the cell instead of a block.
 */
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { Endpoint } from './types.js';

/** Something a row needs running: how to tell whether it still is. */
export interface Peer {
  readonly name: string;
  /** Why it is down (it exited, or no longer accepts connections), or undefined when healthy. */
  health(): Promise<string | undefined>;
}

/**
 * The start and the end of a child's stderr. Go prints `panic: <why>` first and then pages of
 * goroutine stacks, so the panic line is kept from the head; otherwise the last line says why.
 */
export class StderrLog {
  private head = '';
  private tail = '';

  constructor(child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      if (this.head.length < 4000) this.head = (this.head + s).slice(0, 4000);
      this.tail = (this.tail + s).slice(-4000);
    });
  }

  /** The panic or fatal-error line if there is one, else the last non-empty line ('' if none). */
  lastLine(): string {
    const panic = /^(panic: .*|fatal error: .*)$/m.exec(this.head + '\n' + this.tail)?.[1];
    if (panic !== undefined) return panic.trim();
    const lines = this.tail.split('\n').map((l) => l.trim());
    return lines.filter((l) => l !== '').pop() ?? '';
  }
}

/** Whether something accepts TCP connections at `ep` (connects, then closes at once). */
export function accepting(ep: Endpoint, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: ep.host, port: ep.port });
    const timer = setTimeout(
      () => done(`no answer to a connect within ${timeoutMs} ms`),
      timeoutMs,
    );
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(why);
    };
    s.once('connect', () => done(undefined));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** A child process that serves at `endpoint()`: down when it exited or stopped accepting. */
export function childPeer(
  name: string,
  child: ChildProcess,
  stderr: StderrLog,
  endpoint: () => Endpoint,
): Peer {
  return {
    name,
    async health() {
      const exited = (): string | undefined => {
        const status = child.exitCode ?? child.signalCode;
        if (status === null) return undefined;
        const line = stderr.lastLine();
        return `${name} exited (${status})${line === '' ? '' : `: ${line}`}`;
      };
      if (exited() !== undefined) return exited();
      const ep = endpoint();
      const why = await accepting(ep);
      if (why === undefined) return undefined;
      // A process that just died closes its sockets before Node sees its exit: say "exited" then.
      await new Promise((r) => setTimeout(r, 200));
      if (exited() !== undefined) return exited();
      const line = stderr.lastLine();
      return `${name} stopped listening on ${ep.host}:${ep.port} (${why})${line === '' ? '' : `: ${line}`}`;
    },
  };
}

/** One crash, and the restart generation it ended. */
interface Crash {
  readonly generation: number;
  readonly reason: string;
}

/**
 * Watches a row's peers. `generation` counts restarts; a cell notes it when it starts and asks
 * `crashesSince(it)` when it ends. Checks run one at a time, so that cells of the same row that end
 * together restart a dead peer once, not once each.
 */
export class PeerWatch {
  generation = 0;
  private readonly crashes: Crash[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly peers: () => readonly Peer[],
    /** Replaces every peer that is down (the reasons are given) by a fresh one. */
    private readonly restart: (down: readonly string[]) => Promise<void>,
  ) {}

  /**
   * Checks every peer, restarts the row if one is down, and returns every crash seen since
   * generation `since` (empty: the cell's measurement stands).
   * @throws what the restart threw (the row cannot go on).
   */
  crashesSince(since: number): Promise<string[]> {
    const run = async (): Promise<string[]> => {
      const down = (await Promise.all(this.peers().map((p) => p.health()))).filter(
        (d): d is string => d !== undefined,
      );
      if (down.length > 0) {
        for (const reason of down) this.crashes.push({ generation: this.generation, reason });
        // Counted once the restart is done: a cell that starts meanwhile meets the dead peer, so
        // it must still see this crash when it ends.
        await this.restart(down);
        this.generation++;
      }
      return this.crashes.filter((c) => c.generation >= since).map((c) => c.reason);
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }
}
