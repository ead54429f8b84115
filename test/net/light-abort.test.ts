import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addAbortListener } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { LightAbortController } from '../../src/net/light-abort.js';

test('light signal: aborted, reason, throwIfAborted, one dispatch, AbortController default reason', () => {
  const c = new LightAbortController();
  const s = c.signal;
  assert.equal(s.aborted, false);
  assert.equal(s.reason, undefined);
  s.throwIfAborted();
  let once = 0;
  let every = 0;
  s.addEventListener('abort', () => once++, { once: true });
  const removed = (): void => assert.fail('removed listener called');
  s.addEventListener('abort', removed);
  s.removeEventListener('abort', removed);
  s.addEventListener('abort', (e) => {
    every++;
    assert.equal(e.type, 'abort');
  });
  c.abort();
  c.abort(new Error('second'));
  assert.equal(once, 1);
  assert.equal(every, 1);
  assert.equal(s.aborted, true);
  const reason: unknown = c.signal.reason;
  assert.ok(reason instanceof DOMException);
  assert.equal(reason.name, 'AbortError');
  assert.throws(() => s.throwIfAborted(), { name: 'AbortError' });
  const real = new AbortController();
  real.abort();
  assert.equal((real.signal.reason as DOMException).name, reason.name);
  assert.equal(Object.prototype.toString.call(s), '[object AbortSignal]');

  const given = new LightAbortController();
  const why = new Error('why');
  given.abort(why);
  assert.equal(given.signal.reason, why);
  assert.throws(
    () => given.signal.throwIfAborted(),
    (e) => e === why,
  );
});

test('light signal works where Node takes a signal: events.addAbortListener, net.connect', async () => {
  const c = new LightAbortController();
  let heard: unknown;
  addAbortListener(c.signal, () => {
    heard = c.signal.reason;
  });
  const why = new Error('stop');
  c.abort(why);
  assert.equal(heard, why);

  // A connection to a listener that accepts, torn down by the signal.
  const server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const ctl = new LightAbortController();
    const sock = connect({ host: '127.0.0.1', port, signal: ctl.signal });
    await new Promise<void>((r) => sock.once('connect', r));
    const failed = new Promise<Error>((r) => sock.once('error', r));
    ctl.abort(new Error('cancelled'));
    const e = await failed;
    assert.equal(e.name, 'AbortError');
    assert.equal((e.cause as Error).message, 'cancelled');
    assert.equal(sock.destroyed, true);
  } finally {
    server.close();
  }
});
