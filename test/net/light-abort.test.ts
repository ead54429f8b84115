import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('light signal dispatches as EventTarget does: handleEvent objects, no duplicates, removal and addition during the dispatch', () => {
  const c = new LightAbortController();
  const s = c.signal;
  const calls: string[] = [];
  const obj = {
    handleEvent(e: Event): void {
      calls.push(`object ${e.type}`);
    },
  };
  s.addEventListener('abort', obj);
  s.addEventListener('abort', obj, { once: true });
  const later = (): void => {
    calls.push('later');
  };
  const added = (): void => {
    calls.push('added during dispatch');
  };
  s.addEventListener('abort', () => {
    calls.push('first');
    s.removeEventListener('abort', later);
    s.addEventListener('abort', added);
  });
  s.addEventListener('abort', later);
  s.addEventListener('abort', function (this: unknown) {
    calls.push(this === s ? 'this is the signal' : 'wrong this');
  });
  c.abort();
  assert.deepEqual(calls, ['object abort', 'first', 'this is the signal']);
});

test('a throwing abort listener does not stop the others; its error is an uncaught exception', () => {
  // In a child: the test runner takes over uncaught exceptions in its own process.
  const module = new URL('../../src/net/light-abort.js', import.meta.url).href;
  const code = `
    const { LightAbortController } = await import(${JSON.stringify(module)});
    process.on('uncaughtException', (e) => console.log('uncaught: ' + e.message));
    const c = new LightAbortController();
    c.signal.addEventListener('abort', () => { throw new Error('listener failed'); });
    c.signal.addEventListener('abort', () => console.log('second listener ran'));
    c.abort();
    console.log('abort returned');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(
    r.stdout,
    'second listener ran\nabort returned\nuncaught: listener failed\n',
    r.stderr,
  );
});
