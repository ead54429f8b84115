import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TransportRegistry } from '../src/transports/registry.js';
import type { Transport } from '../src/transports/types.js';

function fake(name: string): Transport {
  return {
    name,
    createClient: () => {
      throw new Error('unused');
    },
    createServer: () => Promise.reject(new Error('unused')),
  };
}

test('registry rejects names that are not C identifiers and duplicates', () => {
  const r = new TransportRegistry([fake('obfs4')]);
  assert.deepEqual(r.names(), ['obfs4']);
  assert.throws(() => r.register(fake('obfs-4')), TypeError);
  assert.throws(() => r.register(fake('obfs4')), /twice/);
  assert.equal(r.get('nope'), undefined);
});
