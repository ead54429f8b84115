// The --metrics endpoint: Prometheus text with the tunnel's counters, counters that only go
// up between scrapes, and plain HTTP answers for other paths and methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channels } from '../../src/diagnostics.js';
import { startMetrics } from '../../src/cli/metrics.js';
import { StatsBook } from '../../src/tunnel/stats-book.js';
import { metricsAddressProblem } from '../../src/cli/metrics-address.js';
import { TunnelStats } from '../../src/tunnel/stats.js';
import { parsePromText, promValue } from '../_support/prom-text.js';

test('metrics text and HTTP behaviour', async () => {
  const stats = new TunnelStats('server');
  stats.start();
  const m = await startMetrics({ host: '127.0.0.1', port: 0 }, StatsBook.of('obfs4', stats));
  const url = `http://127.0.0.1:${m.address.port}`;
  try {
    const sock = { bytesRead: 3, bytesWritten: 4 };
    const end = stats.open(sock, 'written', { bytesRead: 3, bytesWritten: 4 });
    sock.bytesRead += 10;
    sock.bytesWritten += 20;
    channels.handshake.publish({ transport: 'obfs4', role: 'server', ok: true, ms: 250 });
    channels.handshake.publish({
      transport: 'obfs4',
      role: 'server',
      ok: false,
      code: 'ERR_HANDSHAKE_AUTH',
      ms: 1,
    });
    let text = await (await fetch(`${url}/metrics`)).text();
    const has = (re: RegExp): void => assert.match(text, re);
    has(/^# TYPE steppe_bytes_total counter$/m);
    has(/^steppe_bytes_total\{direction="up",transport="obfs4",role="server"\} 20$/m);
    has(/^steppe_bytes_total\{direction="down",transport="obfs4",role="server"\} 10$/m);
    has(/^steppe_connections_open\{transport="obfs4",role="server"\} 1$/m);
    has(/^steppe_connections_total\{transport="obfs4",role="server"\} 1$/m);
    has(/^steppe_handshakes_total\{result="ok",transport="obfs4",role="server"\} 1$/m);
    has(/^steppe_handshakes_total\{result="failed",transport="obfs4",role="server"\} 1$/m);
    has(
      /^steppe_handshake_failures_total\{code="ERR_HANDSHAKE_AUTH",transport="obfs4",role="server"\} 1$/m,
    );
    has(/^steppe_handshake_seconds_total\{transport="obfs4",role="server"\} 0\.25$/m);
    has(/^steppe_connect_failures_total\{transport="obfs4",role="server"\} 0$/m);
    has(/^steppe_info\{version="[^"]+",role="server"\} 1$/m);
    has(/^process_cpu_seconds_total\{role="server"\} /m);
    const fams = parsePromText(text);
    const outcome = (o: string): number =>
      promValue(fams, 'steppe_transport_connections_total', { outcome: o });
    assert.equal(outcome('ok'), 1);
    assert.equal(outcome('failed_handshake'), 1);
    assert.equal(outcome('replay'), 0);
    const bucket = (le: string): number =>
      promValue(fams, 'steppe_handshake_duration_seconds_bucket', { le });
    assert.equal(bucket('0.1'), 0);
    assert.equal(bucket('0.25'), 1);
    assert.equal(bucket('+Inf'), 1);
    assert.equal(promValue(fams, 'steppe_handshake_duration_seconds_sum'), 0.25);

    sock.bytesWritten = 5004;
    end();
    stats.connectFailed();
    text = await (await fetch(`${url}/metrics`)).text();
    has(/^steppe_bytes_total\{direction="up",transport="obfs4",role="server"\} 5000$/m);
    has(/^steppe_connections_open\{transport="obfs4",role="server"\} 0$/m);
    has(/^steppe_connections_total\{transport="obfs4",role="server"\} 1$/m);
    has(/^steppe_connect_failures_total\{transport="obfs4",role="server"\} 1$/m);

    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await fetch(`${url}/`)).status, 200);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
    assert.equal((await fetch(`${url}/metrics`, { method: 'POST' })).status, 405);
  } finally {
    await m.close();
    stats.stop();
  }
});

test('one book, two transports: each labelled, handshake events counted by transport', async () => {
  const book = new StatsBook('server');
  const a = book.for('obfs4');
  book.for('obfs3');
  const m = await startMetrics({ host: '127.0.0.1', port: 0 }, book);
  try {
    for (const code of ['ERR_HANDSHAKE_REPLAY', 'ERR_HANDSHAKE_TIMEOUT', 'ERR_HANDSHAKE_AUTH'])
      channels.handshake.publish({ transport: 'obfs4', role: 'server', ok: false, code, ms: 1 });
    channels.handshake.publish({ transport: 'obfs4', role: 'client', ok: true, ms: 1 });
    a.connectFailed();
    const fams = parsePromText(
      await (await fetch(`http://127.0.0.1:${m.address.port}/metrics`)).text(),
    );
    const outcome = (transport: string, o: string): number =>
      promValue(fams, 'steppe_transport_connections_total', { transport, outcome: o });
    assert.equal(outcome('obfs4', 'replay'), 1);
    assert.equal(outcome('obfs4', 'timeout'), 1);
    assert.equal(outcome('obfs4', 'failed_handshake'), 1);
    assert.equal(outcome('obfs4', 'ok'), 0, "a client-role event is not the server's");
    assert.equal(outcome('obfs3', 'replay'), 0);
    assert.equal(promValue(fams, 'steppe_connect_failures_total', { transport: 'obfs4' }), 1);
    assert.equal(promValue(fams, 'steppe_connect_failures_total', { transport: 'obfs3' }), 0);
  } finally {
    await m.close();
    book.stop();
  }
});

test('a metrics address that is not loopback needs --metrics-public', () => {
  assert.equal(metricsAddressProblem({ host: '127.0.0.1', port: 9 }, false), null);
  assert.equal(metricsAddressProblem({ host: '::1', port: 9 }, false), null);
  assert.match(
    metricsAddressProblem({ host: '0.0.0.0', port: 9 }, false) ?? '',
    /--metrics-public/,
  );
  assert.match(metricsAddressProblem({ host: '192.0.2.1', port: 9 }, false) ?? '', /not loopback/);
  assert.equal(metricsAddressProblem({ host: '0.0.0.0', port: 9 }, true), null);
});

test('the strict exposition parser rejects what Prometheus would', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{k="v\\"q"} 1\n';
  assert.equal(promValue(parsePromText(ok), 'a_total', { k: 'v"q' }), 1);
  const bad = [
    'a 1', // no final newline
    'a{k="v"} 1\na{k="v"} 2\n', // repeated series
    'a{k="v",k="w"} 1\n', // repeated label
    'a{k="v} 1\n', // unterminated
    'a{k="\\x"} 1\n', // bad escape
    'a one\n', // bad value
    '# TYPE a counter\na -1\n', // negative counter
    'a 1\nb 1\na{x="1"} 1\n', // family not contiguous
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n',
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 0\n', // no +Inf
    'a 1\n# TYPE a gauge\n', // TYPE after samples
    '1a 1\n', // bad name
  ];
  for (const text of bad) assert.throws(() => parsePromText(text), Error, JSON.stringify(text));
});
