// TunnelStats: handshake events from diagnostics_channel (filtered by role), live byte counts
// of open connections, totals kept after close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channels } from '../../src/diagnostics.js';
import { TunnelStats } from '../../src/tunnel/stats.js';

test('handshakes of its own role only; failures by code', () => {
  const s = new TunnelStats('server');
  channels.handshake.publish({ transport: 'obfs4', role: 'server', ok: true, ms: 5 });
  assert.equal(s.snapshot().handshakesOk, 0, 'not subscribed before start()');
  s.start();
  channels.handshake.publish({ transport: 'obfs4', role: 'server', ok: true, ms: 500 });
  channels.handshake.publish({ transport: 'obfs4', role: 'client', ok: true, ms: 5 });
  channels.handshake.publish({
    transport: 'obfs4',
    role: 'server',
    ok: false,
    code: 'ERR_HANDSHAKE_TIMEOUT',
    ms: 30_000,
  });
  channels.handshake.publish({
    transport: 'obfs4',
    role: 'server',
    ok: false,
    code: 'ERR_HANDSHAKE_TIMEOUT',
    ms: 30_000,
  });
  channels.handshake.publish({ transport: 'obfs4', role: 'server', ok: false, ms: 1 });
  s.stop();
  channels.handshake.publish({ transport: 'obfs4', role: 'server', ok: true, ms: 5 });
  const snap = s.snapshot();
  assert.equal(snap.handshakesOk, 1);
  assert.equal(snap.handshakesFailed, 3);
  assert.equal(snap.handshakeSeconds, 0.5);
  assert.deepEqual(
    [...snap.handshakeFailures],
    [
      ['ERR_HANDSHAKE_TIMEOUT', 2],
      ['unknown', 1],
    ],
  );
});

test('bytes of open connections count live; closed ones are kept', () => {
  const s = new TunnelStats('client');
  const local = { bytesRead: 0, bytesWritten: 0 };
  const target = { bytesRead: 0, bytesWritten: 0 };
  const endLocal = s.open(local, 'read');
  const endTarget = s.open(target, 'written');
  local.bytesRead = 100;
  local.bytesWritten = 7;
  target.bytesWritten = 30;
  target.bytesRead = 3;
  let snap = s.snapshot();
  assert.deepEqual([snap.active, snap.total, snap.bytesUp, snap.bytesDown], [2, 2, 130, 10]);
  assert.deepEqual(endLocal(), { up: 100, down: 7 });
  local.bytesRead = 1_000_000; // after close: no longer counted
  assert.deepEqual(endLocal(), { up: 1_000_000, down: 7 }, 'reports, but counts only once');
  s.connectFailed();
  snap = s.snapshot();
  assert.deepEqual(
    [snap.active, snap.total, snap.bytesUp, snap.bytesDown, snap.connectFailures],
    [1, 2, 130, 10, 1],
  );
  endTarget();
  snap = s.snapshot();
  assert.deepEqual([snap.active, snap.bytesUp, snap.bytesDown], [0, 130, 10]);
});
