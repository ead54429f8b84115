import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseFet, gfwFet2023 } from '../../../src/bench/censor/models/gfw-fet-2023.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { ManualClock } from '../../../src/bench/censor/clock.js';
import { Prng } from '../../../src/bench/censor/prng.js';
import type { FlowInfo } from '../../../src/bench/censor/types.js';

// Payload classes of the gfw-report artifact (gfw-report/usenixsecurity23-artifact@04df911,
// artifacts/test-*/), regenerated here from their descriptions, with the outcome Algorithm 1
// (artifacts/utils/detect.py) gives each class.

const popcount = (x: number): number => x.toString(2).replaceAll('0', '').length;
const printable = (x: number): boolean => x >= 0x20 && x <= 0x7e;
// The fixed 50-byte "random" tail the artifact appends to its prefix probes.
const ARTIFACT_TAIL = Buffer.from(
  'dadd034913c52da75fd9f05dc76803917134808efed97ef8884f2151b712f60fed634f609f132033a15b77ed3ccaa2d20f5b',
  'hex',
);

test('test-entropy: 50 copies of one byte are fully encrypted iff popcount 4 and not printable', () => {
  for (let i = 0; i < 256; i++) {
    const a = analyseFet(Buffer.alloc(50, i));
    const expectedBlocked = popcount(i) === 4 && !printable(i);
    assert.equal(a.exemptions.length === 0, expectedBlocked, `byte 0x${i.toString(16)}`);
    if (popcount(i) !== 4) assert.ok(a.exemptions.includes('Ex1'));
  }
});

test('test-printable-longest-run: a run of n printable bytes exempts iff n > 20 (Ex4)', () => {
  for (let n = 0; n <= 90; n++) {
    const pkt = Buffer.from('e8'.repeat(10) + '4b'.repeat(n) + 'e8'.repeat(90 - n), 'hex');
    const a = analyseFet(pkt);
    assert.equal(a.popcount, 4);
    assert.equal(a.run, n);
    assert.equal(a.exemptions.length > 0, n > 20, `n=${n}`);
    if (n > 20 && n <= 50) assert.deepEqual(a.exemptions, ['Ex4']);
  }
});

test('test-printable-fraction: i of 100 bytes printable, shuffled: Ex3 iff i > 50', () => {
  const rng = new Prng('fet-frac', 0);
  const pick = (ok: (x: number) => boolean): number => {
    for (;;) {
      const x = rng.int(0, 255);
      if (ok(x)) return x;
    }
  };
  for (let i = 0; i < 100; i++) {
    const bytes = [
      ...Array.from({ length: i }, () => pick(printable)),
      ...Array.from({ length: 100 - i }, () => pick((x) => !printable(x))),
    ];
    for (let k = bytes.length - 1; k > 0; k--) {
      const j = rng.int(0, k);
      [bytes[k], bytes[j]] = [bytes[j]!, bytes[k]!];
    }
    const a = analyseFet(Uint8Array.from(bytes));
    assert.equal(a.frac, i / 100);
    assert.equal(a.exemptions.includes('Ex3'), i > 50, `i=${i}`);
  }
});

test('test-printable-prefixes: six equal printable bytes exempt (Ex2), five do not', () => {
  for (const j of [5, 6]) {
    for (let i = 0; i < 256; i++) {
      const a = analyseFet(Buffer.concat([Buffer.alloc(j, i), ARTIFACT_TAIL]));
      assert.equal(a.exemptions.includes('Ex2'), j === 6 && printable(i), `j=${j} i=${i}`);
      if (printable(i)) assert.equal(a.printablePrefix, j);
    }
  }
});

test('test-protocol-fingerprints: TLS 16/17 03 0x and the four HTTP verbs with a space (Ex5)', () => {
  for (const first of [0x15, 0x16, 0x17]) {
    for (let third = 0; third < 0x10; third++) {
      const pkt = Buffer.concat([Buffer.from([first, 0x03, third]), ARTIFACT_TAIL]);
      const tls = first !== 0x15;
      assert.equal(analyseFet(pkt, 0x09).tlsHttp !== null, tls && third <= 0x09);
      assert.equal(analyseFet(pkt, 0x0f).tlsHttp !== null, tls);
    }
  }
  for (const verb of ['GET', 'PUT', 'POST', 'HEAD']) {
    for (let next = 0; next < 256; next++) {
      const pkt = Buffer.concat([Buffer.from(verb), Buffer.from([next]), ARTIFACT_TAIL]);
      assert.equal(analyseFet(pkt).tlsHttp !== null, next === 0x20, `${verb} + ${next}`);
    }
  }
});

test('random payloads are exempt about as often as censors.md §2.3 measured', () => {
  const rng = new Prng('fet-random', 1);
  const cases: Array<[number, number, number]> = [
    [8, 0.361, 0.03],
    [16, 0.178, 0.025],
    [149, 0.0033, 0.002],
  ];
  for (const [len, expected, tol] of cases) {
    let exempt = 0;
    const n = 20_000;
    for (let k = 0; k < n; k++) if (analyseFet(rng.bytes(len)).exemptions.length > 0) exempt++;
    assert.ok(Math.abs(exempt / n - expected) <= tol, `L=${len}: ${exempt / n} vs ${expected}`);
  }
});

function flow(id: number, clientIp = '10.0.0.1'): FlowInfo {
  return {
    id,
    clientIp,
    clientPort: 40000 + id,
    serverIp: '127.0.0.1',
    serverPort: 443,
    startedAt: 0,
  };
}

test('a blocked flow drops the rest and puts the 3-tuple in the residual table for 180 s', () => {
  const clock = new ManualClock(0, 0.01);
  const pipe = new Pipeline([gfwFet2023({ p: 1 })], { clock, seed: 7 });
  const random = new Prng('x', 1).bytes(300);
  const a = pipe.startFlow(flow(1));
  assert.equal(a.start.kind, 'connect');
  const r = a.flow.onChunk({ dir: 'c2s', t: 0, bytes: random });
  assert.equal(r.forward, null);
  assert.equal(a.flow.isOpen('s2c'), false);
  const rec = pipe.log.forFlow(1)[0]!;
  assert.equal(rec.verdict, 'block');
  assert.equal(rec.rule, 'fullyEncrypted');
  assert.equal(rec.p, 1);
  // Second flow on the same 3-tuple inside the scaled window (180 s × 0.01 = 1.8 s): dropped at
  // the start, whatever it would send.
  clock.advance(1700);
  assert.equal(pipe.startFlow(flow(2)).start.kind, 'dropSyn');
  // Another client IP is not affected.
  assert.equal(pipe.startFlow(flow(3, '10.0.0.2')).start.kind, 'connect');
  clock.advance(200);
  assert.equal(pipe.startFlow(flow(4)).start.kind, 'connect');
});

test('exempt flows pass with evidence; p = 0 only flags', () => {
  const pipe = new Pipeline([gfwFet2023({ p: 0 })], { clock: new ManualClock() });
  const tls = pipe.startFlow(flow(1)).flow;
  const hello = Buffer.concat([
    Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]),
    Buffer.alloc(512, 0x80),
  ]);
  assert.ok(tls.onChunk({ dir: 'c2s', t: 0, bytes: hello }).forward);
  const rec = pipe.log.forFlow(1)[0]!;
  assert.equal(rec.verdict, 'allow');
  assert.ok((rec.evidence.exemptions as string[]).includes('Ex5'));
  const rnd = pipe.startFlow(flow(2)).flow;
  assert.ok(rnd.onChunk({ dir: 'c2s', t: 0, bytes: new Prng('y', 2).bytes(300) }).forward);
  assert.equal(pipe.log.forFlow(2)[0]!.verdict, 'flag');
});

test('only the first client chunk, truncated to the MSS, is examined', () => {
  const pipe = new Pipeline([gfwFet2023({ p: 1 })], { clock: new ManualClock() });
  const f = pipe.startFlow(flow(1)).flow;
  // Server speaks first: not inspected.
  assert.ok(f.onChunk({ dir: 's2c', t: 0, bytes: new Prng('s', 1).bytes(200) }).forward);
  // 1448 printable bytes then random: the MSS cut sees only printable bytes.
  const first = Buffer.concat([Buffer.alloc(1448, 0x41), new Prng('z', 3).bytes(4000)]);
  assert.ok(f.onChunk({ dir: 'c2s', t: 1, bytes: first }).forward);
  assert.ok(f.onChunk({ dir: 'c2s', t: 2, bytes: new Prng('w', 4).bytes(500) }).forward);
  assert.equal(pipe.log.forFlow(1).length, 1);
  assert.equal(pipe.log.forFlow(1)[0]!.evidence.len, 1448);
});

test('per-flow draws are deterministic for a seed and give about p = 0.263 over many flows', () => {
  const run = (seed: number): number[] => {
    const pipe = new Pipeline([gfwFet2023()], { clock: new ManualClock(), seed });
    const blocked: number[] = [];
    for (let i = 1; i <= 2000; i++) {
      const f = pipe.startFlow(flow(i, `10.1.${i >> 8}.${i & 255}`)).flow;
      f.onChunk({ dir: 'c2s', t: 0, bytes: new Prng('payload', i).bytes(200) });
      if (!f.isOpen('c2s')) blocked.push(i);
    }
    return blocked;
  };
  const a = run(42);
  assert.deepEqual(run(42), a);
  assert.notDeepEqual(run(43), a);
  assert.ok(Math.abs(a.length / 2000 - 0.263) < 0.04, `${a.length / 2000}`);
});
