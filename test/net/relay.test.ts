import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { relay } from '../../src/net/relay.js';
import { readAll, readN, socketPair, waitClose } from './support/loopback.js';

// Topology for every test: c1 <-> [a relay b] <-> c2, over two loopback TCP pairs.
async function setup(): Promise<{
  c1: import('node:net').Socket;
  c2: import('node:net').Socket;
  a: import('node:net').Socket;
  b: import('node:net').Socket;
  close: () => Promise<void>;
}> {
  const [c1, a, close1] = await socketPair();
  const [c2, b, close2] = await socketPair();
  return {
    c1,
    c2,
    a,
    b,
    close: async () => {
      c1.destroy();
      c2.destroy();
      await close1();
      await close2();
    },
  };
}

test('relay copies both ways, counts bytes, and forwards half-close', async () => {
  const { c1, c2, a, b, close } = await setup();
  const done = relay(a, b);
  const up = randomBytes(300_000);
  const down = randomBytes(200_000);
  const gotAtC2 = readAll(c2);
  c1.end(up);
  // c2 still sends after c1 half-closed: the other direction must keep flowing.
  const gotAtC1 = readAll(c1);
  await new Promise((r) => setTimeout(r, 50));
  c2.end(down);
  assert.deepEqual(await gotAtC2, up);
  assert.deepEqual(await gotAtC1, down);
  const r = await done;
  assert.equal(r.aToB, up.length);
  assert.equal(r.bToA, down.length);
  assert.equal(r.error, undefined);
  assert.ok(a.destroyed && b.destroyed);
  await close();
});

test('relay with halfClose=false ends both directions on the first EOF', async () => {
  const { c1, c2, a, b, close } = await setup();
  const done = relay(a, b, { halfClose: false });
  const gotAtC2 = readAll(c2);
  c1.end(Buffer.from('bye'));
  assert.equal((await gotAtC2).toString(), 'bye');
  const r = await done;
  assert.equal(r.aToB, 3);
  await waitClose(c1);
  await close();
});

test('relay tears both sides down on a reset', async () => {
  const { c1, c2, a, b, close } = await setup();
  const done = relay(a, b);
  c1.write('x');
  await readN(c2, 1);
  c1.resetAndDestroy();
  const r = await done;
  assert.ok(r.error !== undefined, 'a reset is reported');
  // The far side sees its connection end.
  await readAll(c2);
  await close();
});

test('relay respects backpressure from a slow reader', async () => {
  const { c1, c2, a, b, close } = await setup();
  const done = relay(a, b);
  c2.pause();
  const big = randomBytes(8 * 1024 * 1024);
  c1.write(big);
  await new Promise((r) => setTimeout(r, 200));
  // With c2 not reading, the relay must stop reading a: bounded buffering in b.
  assert.ok(b.writableLength < 4 * 1024 * 1024, `b buffered ${b.writableLength} bytes`);
  assert.ok(a.isPaused(), 'the relay paused the source');
  const got = readN(c2, big.length, 20_000);
  assert.deepEqual(await got, big);
  c1.end();
  c2.end();
  await done;
  await close();
});

test('relay aborted through its signal destroys both streams', async () => {
  const { a, b, close } = await setup();
  const ac = new AbortController();
  const done = relay(a, b, { signal: ac.signal });
  ac.abort();
  const r = await done;
  assert.match(r.error?.message ?? '', /aborted/);
  assert.ok(a.destroyed && b.destroyed);
  await close();
});
