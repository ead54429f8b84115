// `steppe server --workers 2` (standalone): the primary hands connections to the workers in
// turn, so a replayed obfs4 handshake can be driven to each of them, and both refuse it (one
// logical replay filter); /metrics adds up the workers. Bad counts are a usage error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obfs4 } from '../../src/index.js';
import { recordingRelay, replayToWorker } from '../_support/recording-relay.js';
import { parsePromText, promValue } from '../_support/prom-text.js';
import { echoServer, readN } from '../net/support/loopback.js';
import { runToExit, startSteppeServer } from './support/steppe.js';

test(
  'server --workers 2: a replayed handshake is refused by either worker',
  { timeout: 90_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-workers-'));
    const echo = await echoServer();
    const server = await startSteppeServer([
      '--forward',
      `127.0.0.1:${echo.port}`,
      '--state',
      dir,
      '--workers',
      '2',
      '--log-level',
      'warn',
      '--metrics',
      '127.0.0.1:0',
    ]);
    const relay = await recordingRelay(server.port);
    try {
      const metricsLine = await server.p.waitForLine(/^metrics: http:/);
      // Connection 1 goes to worker 0: a real handshake, recorded on the way.
      const stream = await obfs4.dial({ host: '127.0.0.1', port: relay.port, cert: server.cert });
      const payload = randomBytes(10_000);
      stream.write(payload);
      assert.ok((await readN(stream, payload.length, 30_000)).equals(payload), 'echoed intact');
      // Connections 2 and 3 go to workers 1 and 0: the same handshake, twice.
      const replay = relay.firstFlight();
      assert.equal(
        await replayToWorker(server.port, replay, 1, () => server.p.stderr()),
        0,
        'worker 1 does not answer',
      );
      assert.equal(
        await replayToWorker(server.port, replay, 0, () => server.p.stderr()),
        0,
        'worker 0 does not answer',
      );
      stream.destroy();
      const url = /(http:\S+)/.exec(metricsLine)?.[1] ?? '';
      const m = parsePromText(await (await fetch(url)).text());
      const outcome = (o: string): number =>
        promValue(m, 'steppe_transport_connections_total', { outcome: o });
      assert.equal(outcome('replay'), 2);
      assert.equal(outcome('ok'), 1);
    } finally {
      await relay.close();
      await server.p.stop();
      await echo.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

const usage: Array<[string[], RegExp]> = [
  [
    ['--workers', '0'],
    /--workers "0": expected a number of worker processes from 1 to 64, or "auto"/,
  ],
  [['--workers', '-1'], /--workers "-1": expected a number/],
  [['--workers', 'many'], /--workers "many": expected a number/],
  [
    ['--workers', '2', '--transport', 'scramblesuit'],
    /--workers 2: scramblesuit keeps replay filters that worker processes cannot share yet/,
  ],
];
for (const [args, re] of usage) {
  test(`server ${args.join(' ')}: one clear line, exit 2`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-workers-'));
    try {
      const r = await runToExit([
        'server',
        '--listen',
        '127.0.0.1:0',
        '--forward',
        '127.0.0.1:9',
        '--state',
        dir,
        ...args,
      ]);
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] ?? '', re);
      assert.equal(r.stdout, '', 'no bridge line printed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
