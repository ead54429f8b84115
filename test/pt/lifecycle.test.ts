import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { currentParentPid, Lifecycle, type LifecycleOptions } from '../../src/pt/lifecycle.js';

class FakeConn extends EventEmitter {
  destroyed = false;
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    setImmediate(() => this.emit('close'));
  }
}

function make(opts: Partial<LifecycleOptions> = {}): {
  lc: Lifecycle;
  signals: EventEmitter;
  stdin: PassThrough;
  exits: string[];
  closed: string[];
} {
  const signals = new EventEmitter();
  const stdin = new PassThrough();
  const exits: string[] = [];
  const closed: string[] = [];
  const lc = new Lifecycle({
    exitOnStdinClose: false,
    watchParent: false,
    signals,
    stdin,
    onExit: (r) => exits.push(r),
    ...opts,
  });
  lc.start();
  lc.addListener({
    close: () => {
      closed.push('listener');
      return Promise.resolve();
    },
  });
  return { lc, signals, stdin, exits, closed };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

test('SIGTERM stops now: listeners closed, connections destroyed, signal aborted', () => {
  const { lc, signals, exits, closed } = make();
  const conn = new FakeConn();
  assert.ok(lc.track(conn));
  signals.emit('SIGTERM');
  assert.deepEqual(exits, ['SIGTERM']);
  assert.deepEqual(closed, ['listener']);
  assert.ok(conn.destroyed);
  assert.ok(lc.signal.aborted);
  signals.emit('SIGTERM');
  assert.equal(exits.length, 1, 'onExit is called once');
});

test('first SIGINT drains: no new connections, exit when the last one closes', async () => {
  const { lc, signals, exits, closed } = make();
  const a = new FakeConn();
  const b = new FakeConn();
  lc.track(a);
  lc.track(b);
  signals.emit('SIGINT');
  await tick();
  assert.deepEqual(closed, ['listener']);
  assert.deepEqual(exits, []);
  assert.ok(lc.draining);
  const late = new FakeConn();
  assert.equal(lc.track(late), false, 'refused while draining');
  assert.ok(late.destroyed);
  a.destroy();
  await tick();
  assert.deepEqual(exits, []);
  assert.ok(!b.destroyed, 'open connections are left to finish');
  b.destroy();
  await tick();
  assert.equal(exits.length, 1);
  assert.match(exits[0] ?? '', /all connections closed/);
});

test('first SIGINT with no connections exits once the listeners are closed', async () => {
  const { signals, exits } = make();
  signals.emit('SIGINT');
  await tick();
  assert.equal(exits.length, 1);
});

test('a second SIGINT, or a SIGTERM, while draining stops now', async () => {
  for (const second of ['SIGINT', 'SIGTERM']) {
    const { lc, signals, exits } = make();
    const c = new FakeConn();
    lc.track(c);
    signals.emit('SIGINT');
    await tick();
    assert.deepEqual(exits, []);
    signals.emit(second);
    assert.equal(exits.length, 1, second);
    assert.ok(c.destroyed);
  }
});

test('stdin close means exit only with TOR_PT_EXIT_ON_STDIN_CLOSE=1', async () => {
  const without = make({ exitOnStdinClose: false });
  without.stdin.end();
  await tick();
  assert.deepEqual(without.exits, []);
  without.lc.dispose();

  const withFlag = make({ exitOnStdinClose: true });
  withFlag.stdin.write('anything tor writes is ignored\n');
  await tick();
  assert.deepEqual(withFlag.exits, []);
  withFlag.stdin.end();
  await tick();
  assert.deepEqual(withFlag.exits, ['stdin closed']);
});

test('a changed parent pid means the parent is gone', async () => {
  let ppid = 100;
  const { exits } = make({ watchParent: true, parentPollMs: 10, getParentPid: () => ppid });
  await tick();
  assert.deepEqual(exits, []);
  ppid = 1;
  await tick();
  assert.match(exits[0] ?? '', /parent process 100 is gone/);
});

test('currentParentPid reads the live parent pid', () => {
  assert.equal(currentParentPid(), process.ppid);
});
