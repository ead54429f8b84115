/**
 * Resource exhaustion (issue 14, item 6): a steppe server limited to 256 descriptors (`ulimit -n
 * 256`) and flooded with 1000 connection attempts must not crash or stop accepting. It says once
 * per interval that it is out of descriptors (Node itself never tells: libuv drops the connections
 * it cannot accept), says when it accepts again, and a real client gets through and moves
 * hash-checked bytes after the flood. Standalone (`steppe server`) and managed (as tor starts it).
 * Every wait is bounded; nothing is timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { obfs4 } from '../../src/transports/obfs4/index.js';
import { watchLines, type LineWatch } from '../_support/child-lines.js';
import { startHashEcho } from '../_support/echo.js';
import { echoTransfer } from '../_support/transfer.js';

const STEPPE_BIN = fileURLToPath(new URL('../../../bin/steppe', import.meta.url));
const LIMIT = 256;
const ATTEMPTS = 1000;
const EMFILE_LINE = /listener: cannot accept connections: EMFILE/g;

/** Runs bin/steppe with at most LIMIT open descriptors (bash sets the limit, then execs node). */
function steppeUnderLimit(
  args: string[],
  env: Record<string, string>,
): {
  child: ChildProcess;
  watch: LineWatch;
} {
  const quoted = [process.execPath, STEPPE_BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('bash', ['-c', `ulimit -n ${LIMIT} && exec ${quoted}`], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.on('error', () => {});
  return { child, watch: watchLines(child, { defaultTimeoutMs: 20_000, rejectOnExit: true }) };
}

/**
 * 1000 attempts in waves of 100 (so that this process stays far below its own limit), each wave
 * waiting until its sockets are connected or closed. Returns the sockets still open.
 */
async function flood(port: number): Promise<Socket[]> {
  const held: Socket[] = [];
  for (let wave = 0; wave < ATTEMPTS / 100; wave++) {
    const settled = Array.from(
      { length: 100 },
      () =>
        new Promise<void>((resolve) => {
          const s = connect({ host: '127.0.0.1', port });
          s.on('error', () => {});
          s.once('close', () => resolve());
          s.once('connect', () => {
            held.push(s);
            resolve();
          });
          setTimeout(resolve, 5000).unref();
        }),
    );
    await Promise.all(settled);
  }
  return held.filter((s) => !s.destroyed);
}

/** Waits (bounded) until `stderr()` matches `re`. */
async function waitForText(stderr: () => string, re: RegExp, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!new RegExp(re.source).test(stderr())) {
    if (Date.now() > end)
      throw new Error(`no ${re} within ${timeoutMs} ms; stderr:\n${stderr().slice(-2000)}`);
    await sleep(100);
  }
}

/** A real obfs4 client through the server to the echo: retried while descriptors free up. */
async function legitimateClient(port: number, cert: string): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 20; i++) {
    try {
      const stream = await obfs4.dial({ host: '127.0.0.1', port, cert, iatMode: 0 });
      const r = await echoTransfer(stream, 64 * 1024, 20_000);
      assert.equal(r.received, 64 * 1024);
      assert.equal(r.receivedSha, r.sentSha, 'the echo came back intact');
      return;
    } catch (e) {
      last = e;
      await sleep(500);
    }
  }
  throw new Error(`no client got through after the flood: ${String(last)}`);
}

async function exercise(
  start: () => Promise<{ child: ChildProcess; watch: LineWatch; port: number; cert: string }>,
): Promise<string> {
  const { child, watch, port, cert } = await start();
  const t0 = Date.now();
  try {
    const held = await flood(port);
    // Held until the server has noticed (it looks once a second).
    await waitForText(() => watch.stderr(), EMFILE_LINE, 15_000);
    for (const s of held) s.destroy();
    await waitForText(() => watch.stderr(), /listener: accepting connections again/, 15_000);
    await legitimateClient(port, cert);
    assert.equal(
      child.exitCode,
      null,
      `the server is alive; stderr:\n${watch.stderr().slice(-2000)}`,
    );
    const lines = watch.stderr().match(EMFILE_LINE)?.length ?? 0;
    const intervals = Math.ceil((Date.now() - t0) / 10_000);
    assert.ok(
      lines >= 1 && lines <= intervals + 1,
      `${lines} EMFILE lines in ${intervals} interval(s)`,
    );
    return watch.stderr();
  } finally {
    child.kill('SIGKILL');
    await watch.exited;
  }
}

test(
  'standalone: a server out of descriptors survives a flood and serves after it',
  { timeout: 120_000 },
  async (t) => {
    const echo = await startHashEcho();
    const state = mkdtempSync(join(tmpdir(), 'steppe-emfile-'));
    t.after(async () => {
      await echo.close();
      rmSync(state, { recursive: true, force: true });
    });
    await exercise(async () => {
      const { child, watch } = steppeUnderLimit(
        [
          'server',
          '--listen',
          '127.0.0.1:0',
          '--forward',
          `127.0.0.1:${echo.port}`,
          '--state',
          state,
          '--no-status',
          '--no-qr',
        ],
        {},
      );
      const bridge = await watch.waitForLine(/^Bridge /);
      const ready = await watch.waitForLine(/^ready: /);
      const port = Number(/:(\d+)\b/.exec(ready)?.[1]);
      const cert = /cert=(\S+)/.exec(bridge)?.[1] ?? '';
      return { child, watch, port, cert };
    });
  },
);

test(
  'managed: a bridge out of descriptors survives a flood, tells tor, and serves after it',
  { timeout: 120_000 },
  async (t) => {
    const echo = await startHashEcho();
    const state = mkdtempSync(join(tmpdir(), 'steppe-emfile-managed-'));
    t.after(async () => {
      await echo.close();
      rmSync(state, { recursive: true, force: true });
    });
    let lines: string[] = [];
    await exercise(async () => {
      const { child, watch } = steppeUnderLimit(['--log-level', 'error', '--log-file', 'stderr'], {
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_STATE_LOCATION: state,
        TOR_PT_SERVER_TRANSPORTS: 'obfs4',
        TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
        TOR_PT_ORPORT: `127.0.0.1:${echo.port}`,
        TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
      });
      lines = watch.lines;
      const smethod = await watch.waitForLine(/^SMETHOD obfs4 /);
      await watch.waitForLine(/^SMETHODS DONE/);
      const port = Number(/^SMETHOD obfs4 127\.0\.0\.1:(\d+)/.exec(smethod)?.[1]);
      const cert = /cert=([^,\s]+)/.exec(smethod)?.[1] ?? '';
      return { child, watch, port, cert };
    });
    const toTor = lines.filter((l) =>
      /^LOG SEVERITY=warning MESSAGE=.*cannot accept connections: EMFILE/.test(l),
    );
    assert.equal(toTor.length, 1, `tor's log is told once: ${lines.join(' | ')}`);
  },
);
