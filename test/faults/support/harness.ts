// Parts of the fault-injection suite: a target that never accepts, a slow bystander connection
// whose bytes are hash-checked at the end, the misbehaving peer process, and socket-state checks.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Duplex } from 'node:stream';
import { watchLines } from '../../_support/child-lines.js';

const execFileP = promisify(execFile);
const PEER = fileURLToPath(new URL('./fault-peer.js', import.meta.url));

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

/**
 * A listener whose accept queue is full, so that a connect to it neither completes nor fails:
 * it is a second process (Node's own listener accepts by itself) with a backlog of 0, filled by
 * connections that are never accepted.
 */
export interface HangingTarget {
  readonly port: number;
  /** Connections to it that have not completed (SYN-SENT), from any process on this machine. */
  pendingConnects(): Promise<number>;
  close(): Promise<void>;
}

export async function startHangingTarget(): Promise<HangingTarget> {
  const proc = spawn(
    'python3',
    [
      '-c',
      'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(900)',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watch = watchLines(proc, { defaultTimeoutMs: 10_000, rejectOnExit: true });
  const port = Number(await watch.waitForLine(/^\d+$/));
  const fillers: Socket[] = [];
  // Fill the accept queue: connects complete until it is full, then the next one hangs.
  for (let i = 0; i < 8; i++) {
    const s = connect({ host: '127.0.0.1', port });
    s.on('error', () => {});
    fillers.push(s);
    const done = await Promise.race([
      new Promise<boolean>((r) => s.once('connect', () => r(true))),
      sleep(300).then(() => false),
    ]);
    if (!done) {
      // the queue is full; this one would only ever count among the pending connects
      s.destroy();
      break;
    }
  }
  return {
    port,
    pendingConnects: async () => {
      const { stdout } = await execFileP('ss', [
        '-Htn',
        'state',
        'syn-sent',
        `( dport = :${port} )`,
      ]);
      return stdout.split('\n').filter((l) => l.trim() !== '').length;
    },
    close: async () => {
      for (const s of fillers) s.destroy();
      proc.kill('SIGKILL');
      await watch.exited;
    },
  };
}

/**
 * A connection that keeps a slow, steady flow through the system under test while faults hit
 * other connections; `finish()` ends it and says whether every byte came back intact.
 */
export interface Bystander {
  finish(): Promise<{ sent: number; back: number; intact: boolean }>;
}

export function startBystander(stream: Duplex): Bystander {
  const sentHash = createHash('sha256');
  const backHash = createHash('sha256');
  let sent = 0;
  let back = 0;
  let failed: Error | undefined;
  stream.on('data', (d: Buffer) => {
    backHash.update(d);
    back += d.length;
  });
  stream.on('error', (e) => (failed ??= e));
  stream.on('close', () => (failed ??= new Error('the bystander connection closed')));
  const timer = setInterval(() => {
    const chunk = randomBytes(4096);
    sentHash.update(chunk);
    sent += chunk.length;
    stream.write(chunk);
  }, 20);
  let finished = false;
  return {
    finish: async () => {
      if (finished) return { sent, back, intact: false };
      finished = true;
      clearInterval(timer);
      await eventually(
        'the bystander got all its bytes back',
        () => failed !== undefined || back >= sent,
        10_000,
      ).catch(() => {});
      const intact =
        failed === undefined && back === sent && sentHash.digest('hex') === backHash.digest('hex');
      stream.destroy();
      if (failed !== undefined && !intact)
        throw new Error(`bystander: ${failed.message} (${back}/${sent} bytes back)`);
      return { sent, back, intact };
    },
  };
}

/** The misbehaving peer (fault-peer.ts) at its phase; `rst()` resets its socket, `kill()` is -9. */
export interface FaultPeer {
  rst(): Promise<void>;
  kill(): Promise<void>;
}

export async function startFaultPeer(args: string[]): Promise<FaultPeer> {
  const proc: ChildProcess = spawn(process.execPath, [PEER, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  proc.stdin?.on('error', () => {});
  const watch = watchLines(proc, { defaultTimeoutMs: 20_000, rejectOnExit: true });
  try {
    await watch.waitForLine(/^ready$/);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(
      `fault-peer ${args.join(' ')}: ${(e as Error).message}; stderr: ${watch.stderr()}`,
    );
  }
  return {
    rst: async () => {
      proc.stdin?.write('rst\n');
      await watch.exited;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await watch.exited;
    },
  };
}

/** Opens a TCP connection to 127.0.0.1:port. */
export function dialLocal(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}
