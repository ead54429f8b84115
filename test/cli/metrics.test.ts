// The --metrics endpoint: Prometheus text with the tunnel's counters, counters that only go
// up between scrapes, and plain HTTP answers for other paths and methods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channels } from '../../src/diagnostics.js';
import { startMetrics } from '../../src/cli/metrics.js';
import { TunnelStats } from '../../src/tunnel/stats.js';

test('metrics text and HTTP behaviour', async () => {
  const stats = new TunnelStats('server');
  stats.start();
  const m = await startMetrics({ host: '127.0.0.1', port: 0 }, stats, 'obfs4');
  const url = `http://127.0.0.1:${m.address.port}`;
  try {
    const sock = { bytesRead: 10, bytesWritten: 20 };
    const end = stats.open(sock, 'written');
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
    has(/^steppe_info\{version="[^"]+",transport="obfs4",role="server"\} 1$/m);
    has(/^process_cpu_seconds_total\{transport="obfs4",role="server"\} /m);

    sock.bytesWritten = 5000;
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
