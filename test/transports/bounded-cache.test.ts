import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache } from '../../src/transports/bounded-cache.js';

test('BoundedCache keeps the newest `limit` entries and evicts the oldest first', () => {
  const c = new BoundedCache<number, string>(3);
  for (let i = 0; i < 5; i++) assert.equal(c.set(i, `v${i}`), `v${i}`);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((k) => c.get(k)),
    [undefined, undefined, 'v2', 'v3', 'v4'],
  );
  // Replacing a key that is present evicts nothing.
  c.set(3, 'w3');
  assert.deepEqual(
    [2, 3, 4].map((k) => c.get(k)),
    ['v2', 'w3', 'v4'],
  );
  c.set(5, 'v5');
  assert.equal(c.get(2), undefined);
  assert.equal(c.get(5), 'v5');
});
