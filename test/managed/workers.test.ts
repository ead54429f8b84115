// --workers 2 on a managed bridge: the primary hands connections to the workers in turn, so a
// test can drive a replayed handshake to each of them (both refuse it: one logical replay
// filter); a worker killed with SIGKILL mid-transfer loses only its own connection, and is
// started again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obfs4 } from '../../src/index.js';
import { parseSmethodArgs } from '../../src/pt/args.js';
import { recordingRelay, replayToWorker } from '../_support/recording-relay.js';
import { parsePromText, promValue } from '../_support/prom-text.js';
import { startFakeExtOrPort, writeCookieFile } from '../extorport/support/fake-extorport.js';
import { readN } from '../net/support/loopback.js';
import { exitWithin, methodPort, spawnPt, type PtProcess } from './support/spawn.js';

interface Bridge {
  readonly proc: PtProcess;
  readonly port: number;
  readonly cert: string;
  readonly pids: number[];
  readonly metricsPort: number;
  close(): Promise<void>;
}

async function startBridge(): Promise<Bridge> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-workers-'));
  const cookieFile = join(dir, 'cookie');
  await writeCookieFile(cookieFile);
  const ext = await startFakeExtOrPort({ cookieFile });
  const proc = spawnPt(
    'steppe',
    {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_SERVER_TRANSPORTS: 'obfs4',
      TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
      TOR_PT_SERVER_TRANSPORT_OPTIONS: 'obfs4:iat-mode=0',
      TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${ext.port}`,
      TOR_PT_AUTH_COOKIE_FILE: cookieFile,
      TOR_PT_STATE_LOCATION: join(dir, 'state'),
      TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    },
    ['--workers', '2', '--log-level', 'warn', '--log-file', 'stderr', '--metrics', '127.0.0.1:0'],
  );
  try {
    const smethod = await proc.waitForLine(/^SMETHOD obfs4 /);
    const cert = parseSmethodArgs(/ ARGS:(\S*)/.exec(smethod)?.[1] ?? '').get('cert')?.[0] ?? '';
    const running = await proc.waitForLine(/^LOG SEVERITY=notice MESSAGE="2 workers running/);
    const pids = [...(/pids ([\d, ]+)/.exec(running)?.[1] ?? '').matchAll(/\d+/g)].map((m) =>
      Number(m[0]),
    );
    assert.equal(pids.length, 2);
    const metrics = await proc.waitForLine(/MESSAGE="metrics on http:/);
    return {
      proc,
      port: methodPort(smethod),
      cert,
      pids,
      metricsPort: Number(/:(\d+)\/metrics/.exec(metrics)?.[1]),
      close: async () => {
        proc.proc.stdin?.end();
        await exitWithin(proc).catch(() => undefined);
        await proc.stop();
        await ext.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await proc.stop();
    await ext.close();
    throw e;
  }
}

async function echoes(s: Socket | NodeJS.ReadWriteStream, size: number): Promise<void> {
  const payload = randomBytes(size);
  s.write(payload);
  assert.ok((await readN(s as Socket, size, 30_000)).equals(payload), 'echoed intact');
}

test(
  '--workers 2: a replayed handshake is refused by either worker',
  { timeout: 90_000 },
  async () => {
    const bridge = await startBridge();
    const relay = await recordingRelay(bridge.port);
    try {
      // Connection 1 goes to worker 0: a real handshake, recorded on the way.
      const stream = await obfs4.dial({ host: '127.0.0.1', port: relay.port, cert: bridge.cert });
      await echoes(stream, 10_000);
      // Connections 2 and 3 go to workers 1 and 0: the same handshake, twice.
      assert.equal(
        await replayToWorker(bridge.port, relay.firstFlight(), 1, () => bridge.proc.stderr()),
        0,
        'worker 1 does not answer',
      );
      assert.equal(
        await replayToWorker(bridge.port, relay.firstFlight(), 0, () => bridge.proc.stderr()),
        0,
        'worker 0 does not answer',
      );
      stream.destroy();
      // The primary's /metrics adds up both workers.
      const text = await (await fetch(`http://127.0.0.1:${bridge.metricsPort}/metrics`)).text();
      const m = parsePromText(text);
      const outcome = (o: string): number =>
        promValue(m, 'steppe_transport_connections_total', { outcome: o });
      assert.equal(outcome('replay'), 2);
      assert.equal(outcome('ok'), 1);
    } finally {
      await relay.close();
      await bridge.close();
    }
  },
);

test(
  '--workers 2: kill -9 of a worker mid-transfer loses only its connections',
  { timeout: 90_000 },
  async () => {
    const bridge = await startBridge();
    try {
      const dial = (): ReturnType<typeof obfs4.dial> =>
        obfs4.dial({ host: '127.0.0.1', port: bridge.port, cert: bridge.cert });
      const onFirst = await dial(); // worker 0
      const onSecond = await dial(); // worker 1
      await echoes(onFirst, 50_000);
      await echoes(onSecond, 50_000);
      // The client side is half-open: the worker's death shows as the end of what it receives.
      const closed = new Promise<void>((res) => {
        onFirst.once('end', () => res());
        onFirst.once('close', () => res());
      });
      onFirst.on('error', () => undefined);
      onFirst.resume();
      process.kill(bridge.pids[0] ?? 0, 'SIGKILL');
      await closed;
      // The other worker's connection goes on.
      await echoes(onSecond, 200_000);
      // In tor's log too: a LOG line from the primary.
      await bridge.proc.waitForLine(
        /^LOG SEVERITY=warning MESSAGE="worker 0 \(pid \d+\) ended by SIGKILL; its connections are lost, the others go on; starting it again"$/,
      );
      // The restarted worker takes new connections (the queue holds them until it is ready).
      for (let i = 0; i < 2; i++) {
        const s = await dial();
        await echoes(s, 1000);
        s.destroy();
      }
      onSecond.destroy();
    } finally {
      await bridge.close();
    }
  },
);

for (const bad of ['0', '-1', 'many']) {
  test(`--workers ${bad}: one clear line, exit 2`, async () => {
    const p = spawnPt(
      'steppe',
      { TOR_PT_MANAGED_TRANSPORT_VER: '1', TOR_PT_SERVER_TRANSPORTS: 'obfs4' },
      ['--workers', bad],
    );
    try {
      const st = await exitWithin(p);
      assert.equal(st.code, 2);
      const lines = p.stderr().trimEnd().split('\n');
      assert.equal(lines.length, 1, p.stderr());
      assert.match(
        lines[0] ?? '',
        /^steppe: --workers ".*": expected a number of worker processes from 1 to 64, or "auto"/,
      );
      assert.match(p.lines[0] ?? '', /^ENV-ERROR /);
    } finally {
      await p.stop();
    }
  });
}
