import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { AcceptErrorReport, describeAcceptError } from '../../src/net/accept-errors.js';
import { fdLimit, openFdCount, watchFdPressure } from '../../src/net/fd-pressure.js';

function emfile(
  message = 'accept EMFILE',
  syscall: string | null = 'accept',
): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = 'EMFILE';
  if (syscall !== null) e.syscall = syscall;
  return e;
}

test('accept failures: one line per interval, with the count left out, then one "again" line', () => {
  let now = 0;
  const said: [string, string | undefined][] = [];
  const r = new AcceptErrorReport(
    'obfs4 listener',
    (m, f) => said.push([m, f]),
    10_000,
    () => now,
  );
  r.accepted();
  assert.equal(said.length, 0, 'a healthy listener says nothing');
  for (let i = 0; i < 50; i++) {
    r.error(emfile());
    now += 100;
  }
  assert.equal(said.length, 1);
  assert.match(
    said[0]![0],
    /^obfs4 listener: cannot accept connections: EMFILE: the process is out of file descriptors/,
  );
  assert.equal(said[0]![1], describeAcceptError(emfile()));
  now = 10_000;
  r.error(emfile());
  assert.equal(said.length, 2);
  assert.match(said[1]![0], /\(49 more since the last message\)$/);
  r.accepted();
  r.accepted();
  assert.deepEqual(said[2], ['obfs4 listener: accepting connections again', undefined]);
  assert.equal(said.length, 3);
  // Flapping right after: the next failure still waits for the interval.
  r.error(emfile());
  assert.equal(said.length, 3);
});

test('describeAcceptError names the limit to raise and keeps a descriptor count', () => {
  assert.match(
    describeAcceptError(emfile('250 of 256 descriptors in use', null)),
    /\(250 of 256 descriptors in use; raise ulimit -n/,
  );
  const enfile: NodeJS.ErrnoException = new Error('accept ENFILE');
  enfile.code = 'ENFILE';
  assert.match(describeAcceptError(enfile), /system is out of file descriptors/);
  const other: NodeJS.ErrnoException = new Error('accept ECONNABORTED');
  other.code = 'ECONNABORTED';
  assert.equal(describeAcceptError(other), 'ECONNABORTED: accept ECONNABORTED');
});

test('fd pressure: a count at the limit is an EMFILE, a count below it again is recovery', async () => {
  let fds = 10;
  let counted = 0;
  const events: string[] = [];
  const p = watchFdPressure(
    {
      error: (e) => events.push(`error ${e.code} ${e.message}`),
      accepted: () => events.push('accepted'),
    },
    { intervalMs: 20, limit: 100, count: () => (counted++, fds) },
  );
  try {
    await sleep(100);
    assert.equal(counted, 1, 'no scan while no connection could have brought it near the limit');
    for (let i = 0; i < 45; i++) p.accepted();
    fds = 99;
    await sleep(100);
    assert.ok(
      events.length >= 1 && events[0] === 'error EMFILE 99 of 100 descriptors in use',
      events.join(),
    );
    fds = 30;
    await sleep(100);
    assert.equal(events.at(-1), 'accepted');
    assert.equal(events.filter((e) => e === 'accepted').length, 1);
  } finally {
    p.stop();
  }
});

test(
  'this process has a descriptor limit and a count below it (Linux /proc)',
  { skip: process.platform !== 'linux' },
  () => {
    const limit = fdLimit();
    assert.ok(limit === undefined || limit > 0);
    const n = openFdCount();
    assert.ok(n > 2 && (limit === undefined || n < limit));
  },
);
