/**
 * Fuzzing of webtunnel's HTTP head parsers with fast-check: a valid head cut at random points
 * parses to the same result once complete, with the bytes after it left alone; garbage and
 * mutated heads only ever yield "need more", a result, or an HttpHeadError, and never make the
 * parser look past 8 KiB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HttpHeadError,
  MAX_HEAD_BYTES,
  parseRequestHead,
  parseResponseHead,
} from '../../src/transports/webtunnel/http-head.js';
import {
  encodeUpgradeRequest,
  isTunnelRequest,
  judgeUpgradeResponse,
  SWITCHING_PROTOCOLS,
} from '../../src/transports/webtunnel/upgrade.js';

const RUNS = process.env.CI === 'true' ? 500 : 100;

/** Feeds `data` in pieces cut at `cuts`, calling `parse` on the growing buffer after each. */
function feed<T>(
  data: Uint8Array,
  cuts: number[],
  parse: (b: Uint8Array) => T | null,
): { value: T | null; at: number } {
  const points = [...new Set(cuts.map((c) => Math.floor(c * data.length)))].sort((a, b) => a - b);
  for (const p of [...points, data.length]) {
    const v = parse(data.subarray(0, p));
    if (v !== null) return { value: v, at: p };
  }
  return { value: null, at: data.length };
}

const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 16 });
const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,40}[\x21-\x7e])?$/);

function onlyHeadErrors(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof HttpHeadError)) throw e;
  }
}

test('a request head split anywhere parses the same, and the tunnel bytes after it stay', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^\/[A-Za-z0-9_-]{1,40}$/),
      fc.array(fc.tuple(token, value), { maxLength: 10 }),
      fc.uint8Array({ maxLength: 200 }),
      cutsArb,
      (path, extra, tail, cuts) => {
        const base = Buffer.from(encodeUpgradeRequest({ path, host: 'example.org' }));
        const extraLines = extra.map(([k, v]) => `X-${k}: ${v}\r\n`).join('');
        const head = Buffer.concat([
          base.subarray(0, base.length - 2),
          Buffer.from(extraLines + '\r\n', 'latin1'),
        ]);
        const wire = Buffer.concat([head, tail]);
        const r = feed(wire, cuts, parseRequestHead);
        assert.ok(r.value !== null);
        assert.equal(r.value.length, head.length);
        assert.equal(r.value.target, path);
        assert.ok(isTunnelRequest(r.value, path));
        assert.ok(!isTunnelRequest(r.value, path + 'x'));
        assert.equal(r.value.headers.length, 4 + extra.length);
      },
    ),
    { numRuns: RUNS },
  );
});

test('the 101 answer split anywhere is accepted; the first tunnel bytes are not part of it', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), cutsArb, (tail, cuts) => {
      const wire = Buffer.concat([SWITCHING_PROTOCOLS, tail]);
      const r = feed(wire, cuts, parseResponseHead);
      assert.ok(r.value !== null);
      assert.equal(r.value.length, SWITCHING_PROTOCOLS.length);
      assert.deepEqual(judgeUpgradeResponse(r.value), { ok: true });
    }),
    { numRuns: RUNS },
  );
});

test('garbage only yields "need more", a head, or HttpHeadError, and is bounded at 8 KiB', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 12_000 }), cutsArb, (garbage, cuts) => {
      const parsers: Array<(b: Uint8Array) => { length: number } | null> = [
        parseRequestHead,
        parseResponseHead,
      ];
      for (const parse of parsers) {
        onlyHeadErrors(() => {
          const r = feed(garbage, cuts, parse);
          if (r.value !== null) assert.ok(r.value.length <= MAX_HEAD_BYTES);
        });
      }
      if (garbage.length >= MAX_HEAD_BYTES) {
        assert.throws(() => parseRequestHead(garbage), HttpHeadError);
        assert.throws(() => parseResponseHead(garbage), HttpHeadError);
      }
    }),
    { numRuns: RUNS },
  );
});

test('mutated valid heads: a result is always internally consistent, else HttpHeadError', () => {
  const valid = Buffer.from(encodeUpgradeRequest({ path: '/secret', host: 'example.org' }));
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 6,
      }),
      (mutations) => {
        const b = Buffer.from(valid);
        for (const [i, v] of mutations) b[i] = v;
        onlyHeadErrors(() => {
          const r = parseRequestHead(b);
          if (r === null) return;
          assert.ok(r.length <= b.length);
          for (const [k, v] of r.headers) {
            assert.match(k, /^[!#$%&'*+\-.^_`|~0-9a-z]+$/);
            assert.doesNotMatch(v, /[\r\n\0]/);
          }
        });
      },
    ),
    { numRuns: RUNS },
  );
});

test('strictness: bare LF, folding, bad names, control characters, binary starts', () => {
  const bad = [
    'GET / HTTP/1.1\nHost: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n',
    'GET / HTTP/1.1\r\nBad Name: a\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: a\x01b\r\n\r\n',
    'GET / HTTP/2.0\r\n\r\n',
    'GET  / HTTP/1.1\r\n\r\n',
  ];
  for (const s of bad) {
    assert.throws(() => parseRequestHead(Buffer.from(s, 'latin1')), HttpHeadError, s);
  }
  // A TLS ClientHello sent to the plain-HTTP port is refused at its first byte.
  assert.throws(() => parseRequestHead(Buffer.from([0x16, 0x03, 0x01])), HttpHeadError);
  // Too many header fields.
  const many = 'GET / HTTP/1.1\r\n' + 'A: b\r\n'.repeat(101) + '\r\n';
  assert.throws(() => parseRequestHead(Buffer.from(many)), /more than 100/);
});

test('client verdicts: redirect, error, 200, 101 without the headers', () => {
  const judge = (s: string): ReturnType<typeof judgeUpgradeResponse> =>
    judgeUpgradeResponse(parseResponseHead(Buffer.from(s))!);
  assert.deepEqual(judge('HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n\r\n'), {
    ok: false,
    kind: 'redirect',
    location: 'https://x/',
  });
  assert.equal(judge('HTTP/1.1 404 Not Found\r\n\r\n').ok, false);
  assert.equal(judge('HTTP/1.1 200 OK\r\n\r\n').ok, false);
  assert.deepEqual(judge('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'), {
    ok: false,
    kind: 'headers',
  });
  assert.deepEqual(
    judge('HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n'),
    { ok: true },
  );
});
