// The terminal status line: its text, in-place redraws, truncation to the terminal width,
// and the final newline on stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatStatus, startStatusLine } from '../../src/cli/status.js';
import { TunnelStats } from '../../src/tunnel/stats.js';

test('byte units', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(64 * 1024 * 1024), '64.0 MiB');
  assert.equal(formatBytes(3 * 1024 ** 4), '3.0 TiB');
});

test('the line: connections, bytes, failed handshakes, connect failures when any', () => {
  const snap = {
    active: 3,
    total: 120,
    bytesUp: 2048,
    bytesDown: 5 * 1024 * 1024,
    handshakesOk: 117,
    handshakesFailed: 1,
    handshakeFailures: new Map([['ERR_HANDSHAKE_TIMEOUT', 1]]),
    connectFailures: 0,
    handshakeSeconds: 1,
    handshakeBuckets: [],
    handshakeKinds: new Map<string, number>(),
  };
  assert.equal(
    formatStatus('steppe server obfs4', snap),
    'steppe server obfs4 | 3 open | 120 total | up 2.0 KiB | down 5.0 MiB | 1 failed handshake',
  );
  assert.match(
    formatStatus('x', { ...snap, handshakesFailed: 2, connectFailures: 4 }),
    /2 failed handshakes \| 4 connect failures$/,
  );
  // ScrambleSuit servers and clients also say how many handshakes a session ticket saved.
  assert.match(
    formatStatus('x', {
      ...snap,
      handshakeKinds: new Map([
        ['uniformdh', 2],
        ['ticket', 5],
      ]),
    }),
    /1 failed handshake \| 5 by ticket$/,
  );
});

test('redrawn in place, cut to the terminal width, ended with a newline', () => {
  const writes: string[] = [];
  const out = { isTTY: true, columns: 30, write: (s: string) => writes.push(s) };
  const stats = new TunnelStats('client');
  const line = startStatusLine(stats, 'steppe client obfs4', out, 60_000);
  line.render();
  line.stop();
  line.stop();
  line.render();
  assert.equal(writes.length, 4, JSON.stringify(writes));
  for (const w of writes.slice(0, 3)) {
    assert.ok(w.startsWith('\r\x1b[2K'), JSON.stringify(w));
    assert.equal(w.length - '\r\x1b[2K'.length, 29);
  }
  assert.equal(writes[3], '\n');
});
