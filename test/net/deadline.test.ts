import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { deadline } from '../../src/net/deadline.js';

test('deadline: times out with a TimeoutError reason, like AbortSignal.timeout', async () => {
  const d = deadline(20);
  assert.equal(d.signal.aborted, false);
  await sleep(80);
  assert.equal(d.signal.aborted, true);
  const reason = d.signal.reason as Error;
  assert.equal(reason.name, 'TimeoutError');
  d.dispose();
});

test('deadline: follows the parent and passes its reason on', () => {
  const parent = new AbortController();
  const d = deadline(60_000, parent.signal);
  const why = new Error('shutting down');
  parent.abort(why);
  assert.equal(d.signal.aborted, true);
  assert.equal(d.signal.reason, why);
  d.dispose();
});

test('deadline: an already aborted parent gives an aborted signal', () => {
  const parent = new AbortController();
  parent.abort(new Error('gone'));
  const d = deadline(60_000, parent.signal);
  assert.equal(d.signal.aborted, true);
  assert.equal((d.signal.reason as Error).message, 'gone');
  d.dispose();
});

test('deadline: dispose stops the timer and detaches from the parent', async () => {
  const parent = new AbortController();
  const d = deadline(20, parent.signal);
  d.dispose();
  d.dispose(); // idempotent
  await sleep(60);
  assert.equal(d.signal.aborted, false, 'the timer must not fire after dispose');
  parent.abort();
  assert.equal(d.signal.aborted, false, 'a disposed deadline no longer follows the parent');
});

test('deadline: many short-lived deadlines leave no listeners on a long-lived parent', () => {
  const parent = new AbortController();
  let fired = 0;
  for (let i = 0; i < 1000; i++) {
    const d = deadline(60_000, parent.signal);
    d.signal.addEventListener('abort', () => fired++);
    d.dispose();
  }
  parent.abort();
  assert.equal(fired, 0);
});
