/**
 * A row's PT process that dies during a cell is a crashed peer, not a censor's block (issue 14,
 * item 7): the matrix notices it after the cell, restarts it and measures the cell again, and the
 * cell reports the crash. The processes here are real: obfs4proxy killed with SIGKILL in the middle
 * of a cell, and a Node child that prints a Go-style panic and exits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { columnById } from '../../../src/bench/censor/columns.js';
import { lazyNationalCa, MAX_MEASUREMENTS, runRow } from '../../../src/bench/censor/matrix.js';
import { obfs4proxyReference } from '../../../src/bench/censor/traffic/obfs4proxy.js';
import { accepting, childPeer, StderrLog } from '../../../src/bench/censor/traffic/peers.js';
import type { RunningTraffic, TrafficKind } from '../../../src/bench/censor/traffic/types.js';
import { haveObfs4proxy } from '../../_support/obfs4proxy.js';

const skipObfs4proxy = haveObfs4proxy() ? false : 'obfs4proxy not installed';

/** PIDs of this process's obfs4proxy children that serve a bridge (from /proc). */
function obfs4proxyServerPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'obfs4proxy' || Number(rest[1]) !== process.pid || rest[0] === 'Z') continue;
      const env = readFileSync(`/proc/${name}/environ`, 'utf8');
      if (env.includes('TOR_PT_SERVER_TRANSPORTS=')) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/**
 * The row, except that before the first session of each of the first `kills` measurements its
 * obfs4proxy server is killed (SIGKILL) and the session waits until the port refuses.
 */
function killingRow(row: TrafficKind, kills: number): TrafficKind & { killed: number } {
  const wrapped = {
    ...row,
    killed: 0,
    async start(env?: Parameters<TrafficKind['start']>[0]): Promise<RunningTraffic> {
      const inner = await row.start(env);
      const done = new Set<number>();
      return {
        get target() {
          return inner.target;
        },
        ...(inner.description === undefined ? {} : { description: inner.description }),
        ...(inner.peers === undefined ? {} : { peers: inner.peers }),
        ...(inner.authenticatedProbe ? { authenticatedProbe: inner.authenticatedProbe } : {}),
        close: () => inner.close(),
        async attempt(via, o) {
          const gen = inner.peers?.generation ?? 0;
          if (wrapped.killed < kills && !done.has(gen)) {
            done.add(gen);
            wrapped.killed++;
            for (const pid of obfs4proxyServerPids()) process.kill(pid, 'SIGKILL');
            for (let i = 0; i < 100 && (await accepting(inner.target)) === undefined; i++)
              await sleep(20);
          }
          return inner.attempt(via, o);
        },
      };
    },
  };
  return wrapped;
}

const OPTS = { seed: 2012, timeScale: 0.01, attempts: 8, timeoutMs: 3000 } as const;

test(
  'an obfs4proxy server killed mid-cell is reported and the cell remeasured, not blocked',
  { skip: skipObfs4proxy, timeout: 90_000 },
  async () => {
    const row = killingRow(obfs4proxyReference(0), 1);
    const column = columnById('obfs2-magic')!;
    const [cell] = await runRow(row, [column], { ...OPTS, nationalCa: lazyNationalCa(2048) });
    assert.equal(row.killed, 1, 'the server was killed once');
    assert.ok(cell);
    assert.equal(cell.code, 'P', `remeasured on the restarted server: ${cell.why}`);
    assert.equal(cell.matches, true);
    assert.equal(cell.peerCrashes?.length, 1, JSON.stringify(cell.peerCrashes));
    assert.match(
      cell.peerCrashes?.[0] ?? '',
      /^peer crashed: obfs4proxy server exited \(SIGKILL\)/,
    );
    assert.match(cell.why, /measured again after a peer crashed/);
  },
);

test(
  'a peer that crashes in every measurement gives an error cell, never a block',
  { skip: skipObfs4proxy, timeout: 120_000 },
  async () => {
    const row = killingRow(obfs4proxyReference(0), Infinity);
    const column = columnById('obfs2-magic')!;
    const [cell] = await runRow(row, [column], { ...OPTS, nationalCa: lazyNationalCa(2048) });
    assert.equal(row.killed, MAX_MEASUREMENTS);
    assert.ok(cell);
    assert.equal(cell.code, 'error', cell.why);
    assert.equal(cell.peerCrashes?.length, MAX_MEASUREMENTS);
    assert.match(cell.why, new RegExp(`crashed during each of ${MAX_MEASUREMENTS} measurements`));
  },
);

/** A Node child that listens on loopback, says so on stdout, and runs `then` after `ms`. */
async function listeningChild(then: string) {
  const code = `
    const s = require('net').createServer((c) => c.destroy()).listen(0, '127.0.0.1', () => {
      process.stdout.write(s.address().port + '\\n');
      setTimeout(() => { ${then} }, 200);
    });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = new StderrLog(child);
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))),
  );
  return { child, stderr, endpoint: { host: '127.0.0.1', port } };
}

test('a peer that panics is reported with its panic line, not its stack', async () => {
  const c = await listeningChild(
    `process.stderr.write('panic: BUG: Write(), iat length was 0\\n\\ngoroutine 7 [running]:\\nmain.main()\\n\\t/x.go:1 +0x1\\n'); process.exit(2);`,
  );
  const peer = childPeer('obfs4proxy server', c.child, c.stderr, () => c.endpoint);
  assert.equal(await peer.health(), undefined, 'healthy while it listens');
  await new Promise((r) => c.child.once('exit', r));
  assert.equal(
    await peer.health(),
    'obfs4proxy server exited (2): panic: BUG: Write(), iat length was 0',
  );
});

test('a peer that stops listening but lives on is down, with its last stderr line', async (t) => {
  const c = await listeningChild(
    `process.stderr.write('accept: too many open files\\n'); s.close(); setInterval(() => {}, 60000);`,
  );
  t.after(() => c.child.kill('SIGKILL'));
  const peer = childPeer('steppe server', c.child, c.stderr, () => c.endpoint);
  let why: string | undefined;
  for (let i = 0; i < 100 && why === undefined; i++) {
    await sleep(20);
    why = await peer.health();
  }
  // A probe that connects just before the listener closes sits in its accept queue and is reset
  // when it closes: either error says the same thing, and both are the connect's own words.
  assert.match(
    why ?? '',
    new RegExp(
      `^steppe server stopped listening on 127\\.0\\.0\\.1:${c.endpoint.port} \\((ECONNREFUSED|ECONNRESET)\\): accept: too many open files$`,
    ),
  );
});
