import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialCdf,
  binomialInterval,
  classifyAttempts,
} from '../../../src/bench/censor/outcome.js';
import { Prng } from '../../../src/bench/censor/prng.js';
import { ManualClock } from '../../../src/bench/censor/clock.js';
import { Blocklist, ResidualTable } from '../../../src/bench/censor/tables.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { ipMatches } from '../../../src/bench/censor/ip-match.js';
import { activeProber } from '../../../src/bench/censor/models/active-prober.js';
import { ipBlocklist } from '../../../src/bench/censor/models/ip-blocklist.js';
import { gfwFet2023 } from '../../../src/bench/censor/models/gfw-fet-2023.js';
import { satisfies } from '../../../src/bench/censor/expected.js';
import type { AttemptResult } from '../../../src/bench/censor/traffic/types.js';
import type { FlowInfo } from '../../../src/bench/censor/types.js';
import type { ProbeResult } from '../../../src/bench/probe/types.js';

test('binomial 99% interval for 200 flows at p = 0.263 is 37..69', () => {
  // Exact tails: P(X < 37) = 0.0038, P(X < 38) = 0.0062; P(X > 69) = 0.0041, P(X > 68) = 0.0063.
  assert.deepEqual(binomialInterval(200, 0.263), [37, 69]);
  assert.ok(Math.abs(binomialCdf(52, 200, 0.263) - 0.5) < 0.06);
  assert.equal(binomialCdf(200, 200, 0.263), 1);
  const [lo, hi] = binomialInterval(50, 0.263);
  assert.ok(lo > 0 && hi < 50 && lo < 13 && hi > 13);
});

test('the affected rule: five failures in a row is blocked, a mix is degraded', () => {
  const r = (ok: boolean): AttemptResult => ({
    ok,
    stage: ok ? 'done' : 'handshake',
    ms: 1,
    bytesSent: 0,
    bytesReceived: 0,
  });
  assert.equal(classifyAttempts([r(true), r(true), r(true), r(true), r(true)]), 'P');
  assert.equal(classifyAttempts([r(false), r(false), r(false), r(false), r(false)]), 'B');
  assert.equal(classifyAttempts([r(false), r(true), r(false), r(false), r(false)]), '~');
  const eight = [true, false, false, false, false, false, false, false].map(r);
  assert.equal(classifyAttempts(eight), 'B');
  assert.equal(
    classifyAttempts([false, false, false, true, false, false, false, false].map(r)),
    '~',
  );
});

test('PRNG: same seed and key give the same stream, uniform enough', () => {
  const a = new Prng(1, 'k');
  const b = new Prng(1, 'k');
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(
    Array.from({ length: 1000 }, () => b.next()),
    xs,
  );
  assert.notEqual(new Prng(2, 'k').next(), xs[0]);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

test('tables expire entries on the scaled clock', () => {
  const clock = new ManualClock(0, 0.5);
  const t = new ResidualTable(clock);
  t.add('k', 1000, 'm', 'r');
  clock.advance(499);
  assert.ok(t.has('k'));
  clock.advance(1);
  assert.ok(!t.has('k'));
  const b = new Blocklist(clock);
  b.add('127.0.0.1', Infinity, 'static', '');
  assert.equal(b.lookup('127.0.0.1', 443)?.key, '127.0.0.1');
  assert.equal(Blocklist.endpointKey('::1', 80), '[::1]:80');
});

test('address patterns: exact, CIDR, wildcard', () => {
  assert.ok(ipMatches('*', '1.2.3.4'));
  assert.ok(ipMatches('10.0.0.0/8', '10.200.1.1'));
  assert.ok(!ipMatches('10.0.0.0/8', '11.0.0.1'));
  assert.ok(ipMatches('::1', '::1'));
});

test('ip-blocklist: ip:port, whole ip, and dynamic entries from the prober', () => {
  const flow = (port: number): FlowInfo => ({
    id: port,
    clientIp: 'c',
    clientPort: 1,
    serverIp: '127.0.0.5',
    serverPort: port,
    startedAt: 0,
  });
  const pipe = new Pipeline([ipBlocklist({ list: ['127.0.0.5:443'] })]);
  assert.equal(pipe.startFlow(flow(443)).start.kind, 'dropSyn');
  assert.equal(pipe.startFlow(flow(80)).start.kind, 'connect');
  const pipe2 = new Pipeline([ipBlocklist({ list: ['127.0.0.5:443'], mode: 'ip' })]);
  assert.equal(pipe2.startFlow(flow(80)).start.kind, 'dropSyn');
  const pipe3 = new Pipeline([ipBlocklist()]);
  pipe3.ctx.blocklist.add('127.0.0.5:80', 1000, 'active-prober', 'T2');
  assert.equal(pipe3.startFlow(flow(80)).start.kind, 'dropSyn');
});

test('active-prober: flagged flows trigger probing once per endpoint; a confirmed endpoint is null-routed', async () => {
  const calls: Array<Uint8Array | undefined> = [];
  const answer: ProbeResult = {
    id: 'E0',
    group: 'E0',
    sent: 0,
    outcome: 'open',
    bytesReceived: 300,
    responseHead: 'aabb',
  };
  const prober = activeProber({
    delayMs: 0,
    prober: (_t, recorded) => {
      calls.push(recorded);
      return Promise.resolve([answer]);
    },
  });
  const pipe = new Pipeline([gfwFet2023({ p: 0 }), prober], { clock: new ManualClock() });
  const flow = (id: number): FlowInfo => ({
    id,
    clientIp: `10.0.0.${id}`,
    clientPort: 1,
    serverIp: '127.0.0.9',
    serverPort: 9,
    startedAt: 0,
  });
  const payload = new Prng('p', 1).bytes(300);
  for (const id of [1, 2])
    pipe.startFlow(flow(id)).flow.onChunk({ dir: 'c2s', t: 0, bytes: payload });
  await prober.idle();
  assert.equal(calls.length, 1, 'one probing round per endpoint');
  assert.deepEqual(calls[0], payload, 'the first payload is kept for replay probes');
  assert.equal(prober.verdicts.get('127.0.0.9:9')?.code, 'D');
  const rec = pipe.log.records().find((r) => r.model === 'active-prober');
  assert.equal(rec?.direction, 'probe');
  assert.equal(rec?.rule, 'confirmed');
  const { start, flow: f } = pipe.startFlow(flow(3));
  assert.equal(start.kind, 'connect');
  assert.equal(f.isOpen('s2c'), false);
  assert.equal(f.isOpen('c2s'), true);
});

test('expected-code matching', () => {
  assert.equal(satisfies('S', 'P/S'), true);
  assert.equal(satisfies('D', 'P/S'), false);
  assert.equal(satisfies('P', '~'), undefined);
  assert.equal(satisfies('p26', 'p26'), true);
});
