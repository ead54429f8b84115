import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { scrubAddr, scrubText } from '../../src/log/scrub.js';
import { createLogger, parseLogLevel, silentLogger } from '../../src/log/logger.js';

test('scrubAddr keeps the port only (obfs4proxy ElideAddr)', () => {
  assert.equal(scrubAddr('192.0.2.7:443'), '[scrubbed]:443');
  assert.equal(scrubAddr('[2001:db8::1]:9001'), '[scrubbed]:9001');
  assert.equal(scrubAddr('bridge.example:80'), '[scrubbed]:80');
  assert.equal(scrubAddr('2001:db8::1'), '[scrubbed]');
  assert.equal(scrubAddr('nonsense'), '[scrubbed]');
});

test('scrubText removes every IP address in free text and leaves look-alikes', () => {
  const cases: Array<[string, string]> = [
    ['connect ECONNREFUSED 192.0.2.7:443', 'connect ECONNREFUSED [scrubbed]:443'],
    ['from [2001:db8::1]:9001 and 10.0.0.1', 'from [scrubbed]:9001 and [scrubbed]'],
    ['peer 2001:db8::dead:beef left', 'peer [scrubbed] left'],
    ['mapped ::ffff:192.0.2.1 too', 'mapped [scrubbed] too'],
    ['at 12:34:56 version 1.2.3 ratio 3:4', 'at 12:34:56 version 1.2.3 ratio 3:4'],
    ['999.1.1.1:80 is no address', '999.1.1.1:80 is no address'],
    ['steppe 0.1.0 - launched', 'steppe 0.1.0 - launched'],
  ];
  for (const [input, want] of cases) assert.equal(scrubText(input), want, input);
  fc.assert(
    fc.property(
      fc.oneof(fc.ipV4(), fc.ipV6()),
      fc.string({ maxLength: 10 }),
      fc.string({ maxLength: 10 }),
      (ip, a, b) => {
        const text = `x ${a} ${ip.includes(':') ? `[${ip}]:77` : `${ip}:77`} ${b} y`;
        const out = scrubText(text);
        assert.ok(!out.includes(ip), `${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
        assert.ok(out.includes('[scrubbed]:77'));
      },
    ),
    { numRuns: 500 },
  );
});

test('log levels: steppe and obfs4proxy spellings', () => {
  assert.equal(parseLogLevel('DEBUG'), 'debug');
  assert.equal(parseLogLevel('warn'), 'warn');
  assert.equal(parseLogLevel('WARNING'), 'warn');
  assert.equal(parseLogLevel('Error'), 'error');
  assert.equal(parseLogLevel('INFO'), 'info');
  assert.equal(parseLogLevel('verbose'), null);
});

test('the file logger filters by level, always writes notices, scrubs unless unsafe', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-log-'));
  try {
    const file = join(dir, 'sub', 'steppe.log');
    const log = createLogger({ level: 'warn', destination: file, unsafe: false });
    log.debug('hidden debug');
    log.info('hidden info');
    log.warn(`client ${log.addr('192.0.2.1:5555')} failed`);
    log.error('connect ECONNREFUSED 198.51.100.2:443');
    log.notice('steppe - launched');
    log.flush();
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg]),
      [
        ['warn', 'client [scrubbed]:5555 failed'],
        ['error', 'connect ECONNREFUSED [scrubbed]:443'],
        ['notice', 'steppe - launched'],
      ],
    );
    assert.equal((await stat(file)).mode & 0o777, 0o600);

    const unsafeFile = join(dir, 'unsafe.log');
    const unsafe = createLogger({ level: 'debug', destination: unsafeFile, unsafe: true });
    unsafe.debug(`peer ${unsafe.addr('192.0.2.1:5555')}`);
    unsafe.flush();
    assert.match(await readFile(unsafeFile, 'utf8'), /peer 192\.0\.2\.1:5555/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the silent logger (the default) writes nothing and still scrubs addresses', () => {
  assert.equal(silentLogger.enabled, false);
  silentLogger.error('nothing');
  assert.equal(silentLogger.addr('1.2.3.4:5'), '[scrubbed]:5');
});
