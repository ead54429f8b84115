import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, isManagedInvocation, parseManagedFlags } from '../../src/cli/managed-flags.js';

test("managed flags: steppe's spellings and obfs4proxy's", () => {
  const off = {
    logging: false,
    logLevel: 'error',
    unsafeLogging: false,
    logFile: null,
    help: false,
    version: false,
    metrics: null,
    metricsPublic: false,
    workers: 1,
  };
  assert.deepEqual(parseManagedFlags([]), off);
  assert.deepEqual(parseManagedFlags(['-enableLogging', '-logLevel', 'INFO', '-unsafeLogging']), {
    ...off,
    logging: true,
    logLevel: 'info',
    unsafeLogging: true,
  });
  assert.deepEqual(parseManagedFlags(['--log-level=debug']), {
    ...off,
    logging: true,
    logLevel: 'debug',
  });
  assert.deepEqual(parseManagedFlags(['-logLevel=WARN']), {
    ...off,
    logging: true,
    logLevel: 'warn',
  });
  assert.deepEqual(parseManagedFlags(['--enable-logging']), { ...off, logging: true });
  assert.deepEqual(parseManagedFlags(['--enableLogging=false']), off);
  assert.deepEqual(parseManagedFlags(['--log-file', 'stderr']), {
    ...off,
    logging: true,
    logFile: 'stderr',
  });
  assert.deepEqual(parseManagedFlags(['-version']), { ...off, version: true });
  assert.deepEqual(parseManagedFlags(['-h']), { ...off, help: true });
  assert.deepEqual(parseManagedFlags(['--metrics', '127.0.0.1:9810', '--metrics-public']), {
    ...off,
    metrics: { host: '127.0.0.1', port: 9810 },
    metricsPublic: true,
  });
  assert.deepEqual(parseManagedFlags(['-metrics=[::1]:0']), {
    ...off,
    metrics: { host: '::1', port: 0 },
  });
  assert.throws(() => parseManagedFlags(['--metrics', '9810']), FlagError);
  assert.deepEqual(parseManagedFlags(['--workers=3']), { ...off, workers: 3 });
  assert.ok(parseManagedFlags(['-workers', 'auto']).workers >= 1);
  for (const bad of ['0', '-2', 'x', '1.5', '65'])
    assert.throws(() => parseManagedFlags(['--workers', bad]), /expected a number of worker/);
  assert.throws(() => parseManagedFlags(['--metrics-public=maybe']), /true or false/);
});

test('managed flags: errors say what is accepted', () => {
  assert.throws(() => parseManagedFlags(['-logLevel']), /needs a value/);
  assert.throws(() => parseManagedFlags(['-logLevel', 'LOUD']), /use error, warn, info or debug/);
  assert.throws(
    () => parseManagedFlags(['client']),
    (e: unknown) => e instanceof FlagError && /unknown argument "client"/.test(e.message),
  );
  assert.throws(() => parseManagedFlags(['-enableLogging=maybe']), /expected true or false/);
});

test('managed mode is chosen by TOR_PT_MANAGED_TRANSPORT_VER and a flags-only command line', () => {
  const env = { TOR_PT_MANAGED_TRANSPORT_VER: '1' };
  assert.ok(isManagedInvocation([], env));
  assert.ok(isManagedInvocation(['-enableLogging', '-logLevel', 'INFO'], env));
  assert.ok(!isManagedInvocation(['client', '--listen', '127.0.0.1:1080'], env));
  assert.ok(!isManagedInvocation([], {}));
});
