import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REPLAY_CAPACITY, REPLAY_TTL_MS, ReplayFilter } from '../../src/crypto/replay-filter.js';

const buf = (n: number): Uint8Array => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

test('defaults are obfs4 values: 3 h TTL, 100·1024 entries', () => {
  const f = new ReplayFilter();
  assert.equal(f.ttlMs, REPLAY_TTL_MS);
  assert.equal(REPLAY_TTL_MS, 10_800_000);
  assert.equal(f.capacity, REPLAY_CAPACITY);
  assert.equal(REPLAY_CAPACITY, 102_400);
});

test('first sight is new, second is a replay (obfs4 replay_filter_test)', () => {
  const f = new ReplayFilter({ ttlMs: 10_000 });
  const t0 = 1_000_000;
  assert.equal(f.testAndSet(t0, buf(1)), false);
  assert.equal(f.testAndSet(t0 + 1, buf(1)), true);
  assert.equal(f.testAndSet(t0 + 2, buf(2)), false);
  assert.equal(f.testAndSet(t0 + 3, buf(2)), true);
  assert.equal(f.size, 2);
});

test('entries expire after the TTL (measured from first sight) and can be re-added', () => {
  const f = new ReplayFilter({ ttlMs: 1000 });
  assert.equal(f.testAndSet(0, buf(1)), false);
  assert.equal(f.testAndSet(999, buf(1)), true); // a hit does not refresh firstSeen
  assert.equal(f.testAndSet(1000, buf(1)), false); // expired exactly at the TTL, re-inserted
  assert.equal(f.testAndSet(1500, buf(1)), true);
  assert.equal(f.size, 1);
});

test('compaction stops at the first live entry (FIFO order)', () => {
  const f = new ReplayFilter({ ttlMs: 1000 });
  f.testAndSet(0, buf(1));
  f.testAndSet(500, buf(2));
  f.testAndSet(1200, buf(3)); // evicts 1 only
  assert.equal(f.size, 2);
  assert.equal(f.testAndSet(1300, buf(2)), true);
  assert.equal(f.testAndSet(1300, buf(1)), false);
});

test('when full, the oldest entry is evicted before the lookup, regardless of age', () => {
  // Go's compactFilter drops the eldest entry whenever the filter is at capacity, then goes on
  // with TTL-based compaction; the lookup happens after that.
  const f = new ReplayFilter({ ttlMs: REPLAY_TTL_MS, capacity: 3 });
  for (let i = 0; i < 3; i++) assert.equal(f.testAndSet(i, buf(i)), false);
  assert.equal(f.size, 3);
  assert.equal(f.testAndSet(10, buf(2)), true); // evicts buf(0) first
  assert.equal(f.size, 2);
  assert.equal(f.testAndSet(11, buf(0)), false); // forgotten, re-inserted
  assert.equal(f.size, 3);
  assert.equal(f.testAndSet(12, buf(1)), false); // full again: buf(1), now oldest, went first
  assert.equal(f.size, 3);
  assert.equal(f.testAndSet(13, buf(0)), true);
});

test('a backwards clock jump flushes the filter', () => {
  const f = new ReplayFilter({ ttlMs: 10_000 });
  f.testAndSet(5000, buf(1));
  f.testAndSet(6000, buf(2));
  assert.equal(f.testAndSet(4000, buf(2)), false); // earlier than the oldest entry: flushed
  assert.equal(f.size, 1);
  assert.equal(f.testAndSet(4001, buf(1)), false);
});

test('many entries: bounded memory and correct answers', () => {
  const f = new ReplayFilter({ ttlMs: 100, capacity: 5000 });
  for (let i = 0; i < 50_000; i++) {
    assert.equal(f.testAndSet(i, buf(i)), false);
    if (i % 1000 === 0) assert.equal(f.testAndSet(i, buf(i)), true);
  }
  assert.ok(f.size <= 101);
});

test('different keys are independent; the digest covers all bytes', () => {
  const key = new Uint8Array(16).fill(1);
  const a = new ReplayFilter({ key });
  const b = new ReplayFilter({ key });
  assert.equal(a.testAndSet(0, buf(7)), false);
  assert.equal(b.testAndSet(0, buf(7)), false);
  const x = buf(7);
  x[15] = 1;
  assert.equal(a.testAndSet(1, x), false);
  assert.equal(a.testAndSet(1, new Uint8Array(0)), false);
  assert.equal(a.testAndSet(2, new Uint8Array(0)), true);
});

test('options are validated', () => {
  assert.throws(() => new ReplayFilter({ ttlMs: 0 }), RangeError);
  assert.throws(() => new ReplayFilter({ capacity: 0 }), RangeError);
  assert.throws(() => new ReplayFilter({ key: new Uint8Array(8) }), RangeError);
});
