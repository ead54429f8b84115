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

test('managed mode’s on-demand loader offers exactly the built-in transports, and loads only those asked for', async () => {
  const { builtinLoader } = await import('../src/transports/builtin-loader.js');
  const { builtinRegistry } = await import('../src/transports/builtins.js');
  const eager = builtinRegistry();
  assert.deepEqual([...builtinLoader.names].sort(), eager.names().sort());
  const some = await builtinLoader.load(['obfs4', 'nope', 'obfs4']);
  assert.deepEqual(some.names(), ['obfs4']);
  assert.equal(some.get('obfs4'), eager.get('obfs4'));
  for (const name of eager.names()) {
    assert.equal((await builtinLoader.load([name])).get(name), eager.get(name));
  }
});

test('a registry handed to managed mode acts as a loader of its own transports', async () => {
  const { registryLoader } = await import('../src/transports/loader.js');
  const r = new TransportRegistry([fake('obfs4')]);
  const loader = registryLoader(r);
  assert.deepEqual(loader.names, ['obfs4']);
  assert.equal((await loader.load(['obfs4'])).get('obfs4'), r.get('obfs4'));
});
