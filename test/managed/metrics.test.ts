// --metrics in managed mode: a steppe bridge and a steppe client run the way tor runs them, with
// a fake Extended ORPort behind the bridge. The test makes N tunnelled connections (one held
// open while scraping), P probes and one replayed handshake, scrapes both processes' /metrics,
// parses the exposition strictly and checks every counter against what it did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSmethodArgs } from '../../src/pt/args.js';
import { parsePromText, promValue, type PromFamily } from '../_support/prom-text.js';
import { startFakeExtOrPort, writeCookieFile } from '../extorport/support/fake-extorport.js';
import { closedPort, listenLocal, readN, waitClose } from '../net/support/loopback.js';
import { recordingRelay, type RecordingRelay } from '../_support/recording-relay.js';
import { socksConnect } from './support/socks-client.js';
import { exitWithin, methodPort, spawnPt, type PtProcess } from './support/spawn.js';

const N = 3;
const PROBES = 2;
const PAYLOAD = 40_000;
/** The SOCKS5 reply to tor (IPv4 bound address) is counted as the first bytes down. */
const SOCKS_REPLY = 10;

async function scrape(port: number): Promise<Map<string, PromFamily>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const families = parsePromText(await res.text());
  for (const fam of families.values())
    for (const s of fam.samples)
      for (const v of Object.values(s.labels))
        assert.doesNotMatch(v, /127\.0\.0\.1|::1/, `no address in ${s.name} labels`);
  return families;
}

function metricsPort(p: PtProcess): Promise<number> {
  return p
    .waitForLine(/^LOG SEVERITY=notice MESSAGE="metrics on http:\/\/127\.0\.0\.1:\d+\/metrics"/)
    .then((l) => Number(/:(\d+)\/metrics/.exec(l)?.[1]));
}

async function rawSend(port: number, bytes: Buffer): Promise<void> {
  const s = connect({ host: '127.0.0.1', port });
  s.on('error', () => undefined);
  await new Promise<void>((res) => s.once('connect', () => res()));
  s.end(bytes);
  // The bridge reads and discards until its probe-resistance deadline; do not wait for that.
  await new Promise((res) => setTimeout(res, 200));
  s.destroy();
}

test('managed bridge and client: /metrics counts connections, probes, a replay and bytes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-metrics-'));
  const cookieFile = join(dir, 'cookie');
  await writeCookieFile(cookieFile);
  const ext = await startFakeExtOrPort({ cookieFile });
  const procs: PtProcess[] = [];
  let relay: RecordingRelay | undefined;
  try {
    const bridge = spawnPt(
      'steppe',
      {
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_SERVER_TRANSPORTS: 'obfs4',
        TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
        TOR_PT_SERVER_TRANSPORT_OPTIONS: 'obfs4:iat-mode=0',
        TOR_PT_ORPORT: `127.0.0.1:${await closedPort()}`,
        TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${ext.port}`,
        TOR_PT_AUTH_COOKIE_FILE: cookieFile,
        TOR_PT_STATE_LOCATION: join(dir, 'bridge'),
        TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
      },
      ['--metrics', '127.0.0.1:0'],
    );
    procs.push(bridge);
    const smethod = await bridge.waitForLine(/^SMETHOD obfs4 /);
    const bridgeArgs = parseSmethodArgs(/ ARGS:(\S*)/.exec(smethod)?.[1] ?? '');
    const bridgeMetrics = await metricsPort(bridge);
    relay = await recordingRelay(methodPort(smethod));

    const client = spawnPt(
      'steppe',
      {
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
        TOR_PT_STATE_LOCATION: join(dir, 'client'),
        TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
      },
      ['-metrics=127.0.0.1:0'],
    );
    procs.push(client);
    const socksPort = methodPort(await client.waitForLine(/^CMETHOD obfs4 /));
    const clientMetrics = await metricsPort(client);

    const conns: Socket[] = [];
    for (let i = 0; i < N; i++) {
      const s = await socksConnect(socksPort, { host: '127.0.0.1', port: relay.port }, bridgeArgs);
      const payload = randomBytes(PAYLOAD);
      s.write(payload);
      assert.ok((await readN(s, PAYLOAD, 30_000)).equals(payload));
      conns.push(s);
    }
    // Close all but the last, which stays open through the first scrape.
    for (const s of conns.slice(0, -1)) {
      s.destroy();
    }
    for (let i = 0; i < PROBES; i++) await rawSend(methodPort(smethod), randomBytes(300 + i));
    await rawSend(methodPort(smethod), relay.firstFlight());

    // The bridge counts a probe when it reads the EOF; poll (bounded) until all are in.
    let b = await scrape(bridgeMetrics);
    for (let i = 0; i < 50; i++) {
      const failed = promValue(b, 'steppe_handshakes_total', { result: 'failed' });
      const open = promValue(b, 'steppe_connections_open', { transport: 'obfs4' });
      if (failed === PROBES + 1 && open === 1) break;
      await new Promise((res) => setTimeout(res, 100));
      b = await scrape(bridgeMetrics);
    }
    const outcome = (f: Map<string, PromFamily>, o: string): number =>
      promValue(f, 'steppe_transport_connections_total', { transport: 'obfs4', outcome: o });
    assert.equal(outcome(b, 'ok'), N);
    assert.equal(outcome(b, 'failed_handshake'), PROBES);
    assert.equal(outcome(b, 'replay'), 1);
    assert.equal(outcome(b, 'timeout'), 0);
    assert.equal(
      promValue(b, 'steppe_handshake_failures_total', { code: 'ERR_HANDSHAKE_REPLAY' }),
      1,
    );
    assert.equal(promValue(b, 'steppe_connections_open', { role: 'server' }), 1);
    assert.equal(promValue(b, 'steppe_connections_total', { transport: 'obfs4' }), N);
    assert.equal(promValue(b, 'steppe_handshake_duration_seconds_count'), N);
    assert.equal(promValue(b, 'steppe_handshake_duration_seconds_bucket', { le: '+Inf' }), N);
    assert.equal(promValue(b, 'steppe_connect_failures_total'), 0);
    // Application bytes only: the Extended ORPort's auth exchange is not counted.
    assert.equal(promValue(b, 'steppe_bytes_total', { direction: 'up' }), N * PAYLOAD);
    assert.equal(promValue(b, 'steppe_bytes_total', { direction: 'down' }), N * PAYLOAD);
    assert.ok(promValue(b, 'process_cpu_seconds_total') > 0);
    assert.ok(promValue(b, 'process_resident_memory_bytes') > 0);

    conns.at(-1)?.destroy();
    let c = await scrape(clientMetrics);
    for (let i = 0; i < 50; i++) {
      if (promValue(c, 'steppe_connections_open') === 0) break;
      await new Promise((res) => setTimeout(res, 100));
      c = await scrape(clientMetrics);
    }
    assert.equal(promValue(c, 'steppe_connections_open', { role: 'client' }), 0);
    assert.equal(promValue(c, 'steppe_connections_total'), N);
    assert.equal(outcome(c, 'ok'), N);
    assert.equal(outcome(c, 'failed_handshake'), 0);
    assert.equal(promValue(c, 'steppe_bytes_total', { direction: 'up' }), N * PAYLOAD);
    assert.equal(
      promValue(c, 'steppe_bytes_total', { direction: 'down' }),
      N * (PAYLOAD + SOCKS_REPLY),
    );

    for (const p of procs) p.proc.stdin?.end();
    for (const p of procs) assert.equal((await exitWithin(p)).code, 0);
  } finally {
    for (const p of procs) await p.stop();
    await relay?.close();
    await ext.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('managed bridge: an unreachable ORPort counts as a connect failure', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-metrics-'));
  const bridge = spawnPt(
    'steppe',
    {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_SERVER_TRANSPORTS: 'obfs4',
      TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
      TOR_PT_ORPORT: `127.0.0.1:${await closedPort()}`,
      TOR_PT_STATE_LOCATION: dir,
    },
    ['--metrics=127.0.0.1:0'],
  );
  const client = spawnPt('steppe', {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
    TOR_PT_STATE_LOCATION: join(dir, 'client'),
  });
  try {
    const smethod = await bridge.waitForLine(/^SMETHOD obfs4 /);
    const args = parseSmethodArgs(/ ARGS:(\S*)/.exec(smethod)?.[1] ?? '');
    const port = await metricsPort(bridge);
    const socksPort = methodPort(await client.waitForLine(/^CMETHOD obfs4 /));
    const s = await socksConnect(socksPort, { host: '127.0.0.1', port: methodPort(smethod) }, args);
    await waitClose(s, 30_000);
    let m = await scrape(port);
    for (let i = 0; i < 50 && promValue(m, 'steppe_connect_failures_total') === 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      m = await scrape(port);
    }
    assert.equal(promValue(m, 'steppe_connect_failures_total', { transport: 'obfs4' }), 1);
    assert.equal(promValue(m, 'steppe_connections_total'), 0);
  } finally {
    await bridge.stop();
    await client.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

for (const [what, args, reason] of [
  ['not loopback', ['--metrics', '0.0.0.0:0'], /not loopback.*--metrics-public/],
  ['in use', null, /metrics are off: .*(in use|EADDRINUSE)/i],
] as const) {
  test(`managed bridge: a metrics address ${what} is one LOG line, and obfs4 still starts`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-metrics-'));
    const busy = args === null ? await listenLocal(() => undefined) : null;
    const bridge = spawnPt(
      'steppe',
      {
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_SERVER_TRANSPORTS: 'obfs4',
        TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
        TOR_PT_ORPORT: '127.0.0.1:9',
        TOR_PT_STATE_LOCATION: dir,
      },
      args === null ? ['--metrics', `127.0.0.1:${busy?.port}`] : [...args],
    );
    try {
      await bridge.waitForLine(/^SMETHODS DONE$/);
      assert.ok(bridge.lines.some((l) => /^SMETHOD obfs4 /.test(l)));
      const logs = bridge.lines.filter((l) => l.startsWith('LOG '));
      assert.equal(logs.length, 1, logs.join('\n'));
      assert.match(logs[0] ?? '', /^LOG SEVERITY=warning MESSAGE="metrics are off: /);
      assert.match(logs[0] ?? '', reason);
    } finally {
      await bridge.stop();
      await busy?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('managed mode: a --metrics value that is not an address is a command-line error', async () => {
  const bridge = spawnPt(
    'steppe',
    { TOR_PT_MANAGED_TRANSPORT_VER: '1', TOR_PT_SERVER_TRANSPORTS: 'obfs4' },
    ['--metrics', 'nine-eight-one-zero'],
  );
  try {
    const line = await bridge.waitForLine(/^ENV-ERROR /);
    assert.match(line, /--metrics "nine-eight-one-zero"/);
    assert.equal((await exitWithin(bridge)).code, 2);
  } finally {
    await bridge.stop();
  }
});
