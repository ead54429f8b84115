// ScrambleSuit through the real CLI: `steppe server --transport scramblesuit --password`,
// `steppe client --password --state` (its startup check and a later connection both work, the
// second with the session ticket the first left in the state directory), keygen/bridgeline
// printing the password, and a bad password as one error naming the argument.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHashEcho } from '../_support/echo.js';
import { echoTransfer } from '../_support/transfer.js';
import { runToExit, startSteppeClient, startSteppeServer } from './support/steppe.js';

const PASSWORD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'steppe-cli-ss-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

test(
  'server and client with --password; the client keeps its ticket in --state',
  { timeout: 120_000 },
  async () => {
    const e = await startHashEcho();
    cleanups.push(() => e.close());
    const s = await startSteppeServer([
      '--transport',
      'scramblesuit',
      '--state',
      await tempDir(),
      '--password',
      PASSWORD,
      '--forward',
      `127.0.0.1:${e.port}`,
    ]);
    cleanups.push(() => s.p.stop());
    assert.equal(s.bridgeLine, `Bridge scramblesuit 127.0.0.1:${s.port} password=${PASSWORD}`);
    assert.equal(s.share, `steppe://scramblesuit@127.0.0.1:${s.port}?password=${PASSWORD}`);
    const state = await tempDir();
    const c = await startSteppeClient([
      '--transport',
      'scramblesuit',
      '--server',
      `127.0.0.1:${s.port}`,
      '--password',
      PASSWORD.toLowerCase(),
      '--state',
      state,
      '--listen',
      '127.0.0.1:0',
    ]);
    cleanups.push(() => c.p.stop());
    for (let i = 0; i < 3; i++) {
      const r = await echoTransfer(await dial(c.port), 512 * 1024);
      assert.equal(r.receivedSha, r.sentSha);
    }
    // The file is rewritten asynchronously after each redemption and each new ticket.
    const file = join(state, 'scramblesuit_tickets.json');
    let keys: string[] = [];
    for (let i = 0; i < 100 && keys.length === 0; i++) {
      keys = Object.keys(JSON.parse(await readFile(file, 'utf8')) as object);
      if (keys.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(keys, [`127.0.0.1:${s.port}`]);
    await c.p.stop();
    await s.p.stop();
  },
);

test(
  'a client from the share string of a server that generated its password',
  { timeout: 60_000 },
  async () => {
    const e = await startHashEcho();
    cleanups.push(() => e.close());
    const dir = await tempDir();
    const s = await startSteppeServer([
      '-t',
      'scramblesuit',
      '--state',
      dir,
      '--forward',
      `127.0.0.1:${e.port}`,
    ]);
    cleanups.push(() => s.p.stop());
    const password = /password=([A-Z2-7]{32})$/.exec(s.bridgeLine)?.[1];
    assert.ok(password, s.bridgeLine);
    const c = await startSteppeClient(['--connect', s.share, '--listen', '127.0.0.1:0']);
    cleanups.push(() => c.p.stop());
    const r = await echoTransfer(await dial(c.port), 64 * 1024);
    assert.equal(r.receivedSha, r.sentSha);
    await c.p.stop();
    await s.p.stop();
    // The generated password is kept: bridgeline prints it again.
    const b = await runToExit([
      'bridgeline',
      '-t',
      'scramblesuit',
      '--state',
      dir,
      '--public-address',
      '203.0.113.5:443',
    ]);
    assert.equal(b.code, 0);
    assert.match(
      b.stdout,
      new RegExp(`^Bridge scramblesuit 203\\.0\\.113\\.5:443 password=${password}$`, 'm'),
    );
  },
);

test('a malformed password is one error that names it', { timeout: 60_000 }, async () => {
  for (const args of [
    [
      'client',
      '-t',
      'scramblesuit',
      '--server',
      '127.0.0.1:9',
      '--password',
      'SHORT',
      '--listen',
      '127.0.0.1:0',
    ],
    [
      'server',
      '-t',
      'scramblesuit',
      '--state',
      await tempDir(),
      '--password',
      `${PASSWORD.slice(1)}1`,
      '--listen',
      '127.0.0.1:0',
      '--forward',
      '127.0.0.1:9',
    ],
  ]) {
    const r = await runToExit(args);
    assert.notEqual(r.code, 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /password=/);
  }
});

test('a wrong password: the startup check names the password', { timeout: 60_000 }, async () => {
  const e = await startHashEcho();
  cleanups.push(() => e.close());
  const s = await startSteppeServer([
    '-t',
    'scramblesuit',
    '--state',
    await tempDir(),
    '--password',
    PASSWORD,
    '--forward',
    `127.0.0.1:${e.port}`,
  ]);
  cleanups.push(() => s.p.stop());
  const wrong = 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U';
  const r = await runToExit([
    'client',
    '-t',
    'scramblesuit',
    '--server',
    `127.0.0.1:${s.port}`,
    '--password',
    wrong,
    '--check-timeout',
    '2',
    '--listen',
    '127.0.0.1:0',
  ]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /did not answer the scramblesuit handshake within 2 s: the password is probably wrong/,
  );
  await s.p.stop();
});
