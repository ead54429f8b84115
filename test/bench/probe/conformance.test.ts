// Probe-resistance conformance (censors.md §3.5 P1-P6, §6.3) of steppe's obfs4 server, and the
// same probes against obfs4proxy with the same identity and drbg-seed, side by side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { obfs4 } from '../../../src/index.js';
import { closeDelaySeconds } from '../../../src/crypto/probdist.js';
import { startSteppeObfs4Server } from '../../../src/bench/censor/traffic/steppe-obfs4.js';
import {
  obfs4proxyAvailable,
  startObfs4proxyServer,
} from '../../../src/bench/censor/traffic/obfs4proxy.js';
import { Middlebox } from '../../../src/bench/censor/middlebox.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { probeSet } from '../../../src/bench/probe/probe-set.js';
import { runProbes } from '../../../src/bench/probe/runner.js';
import { thresholdSearch } from '../../../src/bench/probe/search.js';
import { judge } from '../../../src/bench/probe/verdict.js';
import type { ProbeResult, ProbeTarget } from '../../../src/bench/probe/types.js';

const dial = (cert: string) => async (t: ProbeTarget, signal: AbortSignal) => {
  try {
    const s = await obfs4.dial({ host: t.host, port: t.port, cert, iatMode: 0, signal });
    s.destroy();
    return true;
  } catch {
    return false;
  }
};

/** The first client payload of a real session to `target`, seen through a recording relay. */
async function recordFirstPayload(target: ProbeTarget, cert: string): Promise<Buffer> {
  let first: Buffer | undefined;
  const mb = await Middlebox.listen({
    target,
    pipeline: new Pipeline([]),
    tap: (_f, dir, b) => {
      if (dir === 'c2s' && first === undefined) first = Buffer.from(b);
    },
  });
  try {
    const s = await obfs4.dial({ host: mb.address.host, port: mb.address.port, cert, iatMode: 0 });
    s.destroy();
  } finally {
    await mb.close();
  }
  assert.ok(first && first.length >= 141);
  return first;
}

const execFileP = promisify(execFile);

function unauth(rs: readonly ProbeResult[]): ProbeResult[] {
  return rs.filter((r) => r.group !== 'O4k');
}

test('steppe obfs4 server, shortened timeouts: P1-P6 hold and nothing tells it apart without the bridge line', async () => {
  const srv = await startSteppeObfs4Server({
    iatMode: 0,
    handshakeTimeoutMs: 1500,
    closeDelayMs: 700,
  });
  try {
    const recorded = await recordFirstPayload(srv.endpoint, srv.cert);
    const specs = probeSet('full', { recorded, withBridgeLine: true });
    const opts = { budgetMs: 6000, authenticatedProbe: dial(srv.cert) };
    const [results, search] = await Promise.all([
      runProbes(srv.endpoint, specs, opts),
      thresholdSearch(srv.endpoint, { ...opts, toleranceMs: 400 }),
    ]);
    const v = judge([...results, ...search.results], {
      toleranceMs: 400,
      silentWindowMs: [2200, 2200 + 60_000],
    });
    for (const p of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'] as const) {
      assert.equal(v.conformance[p].pass, true, `${p}: ${v.conformance[p].detail}`);
    }
    assert.equal(search.threshold, null, `threshold at ${search.threshold}`);
    // Every unauthenticated probe: 0 bytes, FIN, at accept + 1.5 s + 0.7 s.
    for (const r of unauth(results)) {
      if (r.group === 'T2' || r.id === 'T1-cover') continue;
      assert.equal(r.outcome, 'fin', r.id);
      assert.ok(r.closeMs! >= 2150 && r.closeMs! <= 2700, `${r.id} closed at ${r.closeMs}`);
    }
    const blind = judge([...unauth(results), ...search.results], {
      toleranceMs: 400,
      silentWindowMs: [2200, 62_200],
    });
    assert.notEqual(blind.code, 'D', blind.reasons.join('; '));
    assert.equal(v.code, 'D', 'the bridge line (O4k) is the positive control');
  } finally {
    await srv.close();
  }
});

test('P3 across a restart: a handshake recorded before steppe restarts gets the Rn treatment after', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-restart-'));
  try {
    const timing = {
      iatMode: 0 as const,
      stateDir: dir,
      handshakeTimeoutMs: 1500,
      closeDelayMs: 500,
    };
    const before = await startSteppeObfs4Server(timing);
    const recorded = await recordFirstPayload(before.endpoint, before.cert);
    await before.close();
    const after = await startSteppeObfs4Server(timing);
    try {
      assert.equal(after.cert, before.cert, 'same bridge after the restart');
      const [replay, baseline] = await runProbes(
        after.endpoint,
        [
          { id: 'R1-after-restart', group: 'Rx', kind: 'raw', payload: recorded },
          { id: 'R149', group: 'Rn', kind: 'raw', payload: randomBytes(149) },
        ],
        { budgetMs: 5000 },
      );
      assert.equal(replay!.bytesReceived, 0, 'the restarted server answered a replayed handshake');
      assert.equal(replay!.outcome, 'fin');
      assert.ok(
        Math.abs(replay!.closeMs! - baseline!.closeMs!) <= 400,
        `${replay!.closeMs} vs ${baseline!.closeMs}`,
      );
    } finally {
      await after.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the prober detects what it should: a pre-0.0.11 byte threshold and a speak-first server', async () => {
  // obfs4proxy < 0.0.11: FIN once 8192 + d bytes arrived, RST beyond (unread data), silent before.
  const threshold = 8192 + 1234;
  const old = createServer((s) => {
    let n = 0;
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      n += d.length;
      if (n >= threshold) s.resetAndDestroy();
    });
    setTimeout(() => s.end(), 1500).unref();
  });
  const speaker = createServer((s) => {
    s.on('error', () => {});
    s.write(randomBytes(200));
  });
  await Promise.all(
    [old, speaker].map((x) => new Promise<void>((r) => x.listen(0, '127.0.0.1', r))),
  );
  const at = (x: typeof old): ProbeTarget => ({
    host: '127.0.0.1',
    port: (x.address() as AddressInfo).port,
  });
  try {
    const search = await thresholdSearch(at(old), { budgetMs: 3000, toleranceMs: 400 });
    assert.ok(
      search.threshold !== null && Math.abs(search.threshold - threshold) <= 2100,
      `${search.threshold}`,
    );
    assert.equal(judge(search.results, { toleranceMs: 400 }).code, 'D');
    const r = await runProbes(at(speaker), probeSet('quick'), { budgetMs: 1500 });
    const v = judge(r);
    assert.equal(v.code, 'D');
    assert.equal(v.conformance.P1.pass, false);
  } finally {
    old.close();
    speaker.close();
  }
});

/** A steppe server identity whose per-bridge close delay is at most `maxMs` (so the run is short). */
async function quickIdentity(maxMs: number): Promise<{ dir: string; delayMs: number }> {
  for (let i = 0; i < 400; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-conformance-'));
    const f = await obfs4.createServer({ stateDir: dir, iatMode: 0 });
    const delayMs = closeDelaySeconds(f.state.drbgSeed) * 1000;
    if (delayMs <= maxMs) return { dir, delayMs };
    await rm(dir, { recursive: true, force: true });
  }
  throw new Error('no identity with a short close delay in 400 tries');
}

test('steppe and obfs4proxy with the same identity answer the probe set alike (real 30 s + delay timing)', async (t) => {
  const avail = await obfs4proxyAvailable();
  if (avail !== true) {
    if (process.env.CI === 'true') assert.fail(avail);
    t.skip(avail);
    return;
  }
  const id = await quickIdentity(3000);
  const ours = await startSteppeObfs4Server({ iatMode: 0, stateDir: id.dir });
  const ref = await startObfs4proxyServer({ iatMode: 0, stateFrom: id.dir });
  // A second obfs4proxy with the same identity stands for a restarted one: its replay filter
  // lives in memory only (steppe's restart is tested above, on the same state directory).
  let ref2: Awaited<ReturnType<typeof startObfs4proxyServer>> | undefined;
  try {
    assert.equal(ours.cert, ref.cert, 'same identity, same bridge line');
    ref2 = await startObfs4proxyServer({ iatMode: 0, stateFrom: id.dir });
    const expectedMs = 30_000 + id.delayMs;
    const recOurs = await recordFirstPayload(ours.endpoint, ours.cert);
    const recRef = await recordFirstPayload(ref.endpoint, ref.cert);
    const opts = (cert: string) => ({
      budgetMs: expectedMs + 8000,
      authenticatedProbe: dial(cert),
    });
    const [a, b, restartRef] = await Promise.all([
      runProbes(
        ours.endpoint,
        probeSet('full', { recorded: recOurs, withBridgeLine: true }),
        opts(ours.cert),
      ),
      runProbes(
        ref.endpoint,
        probeSet('full', { recorded: recRef, withBridgeLine: true }),
        opts(ref.cert),
      ),
      runProbes(
        ref2.endpoint,
        [{ id: 'R1-after-restart', group: 'Rx', kind: 'raw', payload: recRef }],
        opts(ref.cert),
      ),
    ]);
    const tol = 1000;
    const va = judge(a, { toleranceMs: tol });
    const vb = judge(b, { toleranceMs: tol });
    for (const p of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'] as const) {
      assert.equal(va.conformance[p].pass, true, `steppe ${p}: ${va.conformance[p].detail}`);
      assert.equal(vb.conformance[p].pass, true, `obfs4proxy ${p}: ${vb.conformance[p].detail}`);
    }
    // Probe by probe: same bytes (none), same close type, same close time within ±1 s, and the
    // close time is the reference's accept + 30 s + the per-bridge delay.
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      assert.equal(x.id, y.id);
      assert.equal(x.bytesReceived, y.bytesReceived, `${x.id} bytes`);
      assert.equal(x.outcome, y.outcome, `${x.id}: steppe ${x.outcome}, obfs4proxy ${y.outcome}`);
      if (
        x.closeMs !== undefined &&
        y.closeMs !== undefined &&
        x.group !== 'T2' &&
        x.id !== 'T1-cover'
      ) {
        assert.ok(
          Math.abs(x.closeMs - y.closeMs) <= tol,
          `${x.id}: ${x.closeMs} vs ${y.closeMs} ms`,
        );
        assert.ok(
          Math.abs(x.closeMs - expectedMs) <= 1500,
          `${x.id}: ${x.closeMs} vs expected ${expectedMs}`,
        );
      }
    }
    assert.equal(
      judge(unauth(a), { toleranceMs: tol }).code,
      judge(unauth(b), { toleranceMs: tol }).code,
    );
    // The reference's gap (censors.md §3.3): it answers a replay after a restart.
    t.diagnostic(
      `obfs4proxy after a restart answered a replayed handshake with ${restartRef[0]!.bytesReceived} bytes`,
    );
  } finally {
    await ours.close();
    await ref.close();
    await ref2?.close();
    await rm(id.dir, { recursive: true, force: true });
  }
});

/** Connections the server at `port` still holds (any state but LISTEN), as `ss` sees them. */
async function serverSockets(port: number): Promise<string[]> {
  const { stdout } = await execFileP('ss', ['-Htn', `( sport = :${port} )`]);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

test('peer FIN and peer RST after garbage: steppe and obfs4proxy with the same identity close alike', async (t) => {
  const avail = await obfs4proxyAvailable();
  if (avail !== true) {
    if (process.env.CI === 'true') assert.fail(avail);
    t.skip(avail);
    return;
  }
  const id = await quickIdentity(3000);
  const ours = await startSteppeObfs4Server({ iatMode: 0, stateDir: id.dir });
  const ref = await startObfs4proxyServer({ iatMode: 0, stateFrom: id.dir });
  try {
    // Below the 8192-byte handshake cap (still reading), at it, and past it (already failed and
    // draining when the FIN comes): the reference closes on the peer's EOF in every case.
    const sizes = [0, 100, 1000, 8192, 9000, 30_000];
    for (const then of ['fin', 'rst'] as const) {
      for (const size of sizes) {
        const spec = {
          id: `${then}-after-${size}`,
          group: 'Rn',
          kind: 'raw' as const,
          payload: randomBytes(size),
          then,
        };
        // The budget is far below the 30 s handshake deadline: a server that waits for its
        // deadline instead of the peer's EOF shows up as 'open'.
        const [x] = await runProbes(ours.endpoint, [spec], { budgetMs: 8000 });
        const [y] = await runProbes(ref.endpoint, [spec], { budgetMs: 8000 });
        assert.equal(x!.bytesReceived, 0, `steppe ${spec.id} answered`);
        assert.equal(y!.bytesReceived, 0, `obfs4proxy ${spec.id} answered`);
        assert.equal(
          x!.outcome,
          y!.outcome,
          `${spec.id}: steppe ${x!.outcome}, obfs4proxy ${y!.outcome}`,
        );
        if (then === 'fin') {
          assert.equal(y!.outcome, 'fin', `obfs4proxy ${spec.id}`);
          assert.ok(
            Math.abs(x!.closeAfterWriteMs! - y!.closeAfterWriteMs!) <= 1000,
            `${spec.id}: steppe closed ${x!.closeAfterWriteMs} ms after the FIN, obfs4proxy ${y!.closeAfterWriteMs} ms`,
          );
        }
        // Neither side keeps the connection (no CLOSE_WAIT fd sink) once the peer is gone.
        await new Promise((r) => setTimeout(r, 300));
        for (const [who, srv] of [
          ['steppe', ours],
          ['obfs4proxy', ref],
        ] as const) {
          const left = await serverSockets(srv.endpoint.port);
          assert.deepEqual(
            left,
            [],
            `${who} still holds sockets after ${spec.id}: ${left.join('; ')}`,
          );
        }
        t.diagnostic(
          `${spec.id}: steppe ${x!.outcome} ${x!.closeAfterWriteMs ?? '-'} ms, obfs4proxy ${y!.outcome} ${y!.closeAfterWriteMs ?? '-'} ms`,
        );
      }
    }
  } finally {
    await ours.close();
    await ref.close();
    await rm(id.dir, { recursive: true, force: true });
  }
});
