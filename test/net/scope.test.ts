import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, getEventListeners } from 'node:events';
import { SignalScope } from '../../src/net/scope.js';

test('a scope keeps one listener on its parent however many connections are open', () => {
  const parent = new AbortController();
  const scope = new SignalScope(parent.signal);
  const owners = Array.from({ length: 300 }, () => new EventEmitter());
  const conns = owners.map((o) => scope.open(o));
  assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
  assert.equal(scope.size, 300);
  for (const o of owners.slice(0, 200)) o.emit('close');
  conns[250]!.release();
  conns[250]!.release();
  assert.equal(scope.size, 99);
  parent.abort(new Error('stopping'));
  assert.equal(conns[0]!.signal.aborted, false, 'a released connection is not aborted');
  assert.equal(conns[299]!.signal.aborted, true);
  assert.equal((conns[299]!.signal.reason as Error).message, 'stopping');
  assert.equal(scope.size, 0);
  const late = scope.open();
  assert.equal(late.signal.aborted, true, 'opened after the parent aborted');
});
