import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseHostPort } from '../../../src/cli/probe.js';
import { select } from '../../../src/cli/bench-censor.js';
import { startSteppeObfs4Server } from '../../../src/bench/censor/traffic/steppe-obfs4.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../../bin/steppe', import.meta.url));

test('HOST:PORT parsing', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:443'), { host: '127.0.0.1', port: 443 });
  assert.deepEqual(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
  assert.throws(() => parseHostPort('example.org'));
  assert.throws(() => parseHostPort('h:70000'));
});

test('name selection: exact ids and prefixes up to a dash', () => {
  const all = [
    { id: 'obfs4-iat0' },
    { id: 'obfs4-iat1' },
    { id: 'obfs4proxy-iat0' },
    { id: 'kz-2012-cke' },
  ];
  assert.deepEqual(
    select(all, ['obfs4'], 'x').map((x) => x.id),
    ['obfs4-iat0', 'obfs4-iat1'],
  );
  assert.deepEqual(
    select(all, ['kz-2012'], 'x').map((x) => x.id),
    ['kz-2012-cke'],
  );
  assert.deepEqual(select(all, undefined, 'x').length, 4);
  assert.throws(() => select(all, ['nope'], 'x'), /unknown x/);
});

test('steppe probe against a steppe bridge: silent without the cert, confirmed with it', async () => {
  const srv = await startSteppeObfs4Server({
    iatMode: 0,
    handshakeTimeoutMs: 1000,
    closeDelayMs: 300,
  });
  try {
    const addr = `${srv.endpoint.host}:${srv.endpoint.port}`;
    const { stdout } = await run(process.execPath, [
      bin,
      'probe',
      addr,
      '--set',
      'quick',
      '--budget',
      '4',
      '--tolerance',
      '400',
      '--cert',
      srv.cert,
    ]);
    assert.match(stdout, /P1 pass\s+0 bytes to all/);
    assert.match(stdout, /P4 pass\s+no RST/);
    assert.match(stdout, /P6 pass/);
    assert.match(stdout, /Verdict: not (distinguishable|confirmable)/);
    assert.match(stdout, /R1-replay/);
  } finally {
    await srv.close();
  }
});
