import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  computeClientHash,
  computeServerHash,
  encodeCommand,
  encodeMetadata,
  parseAuthStatus,
  parseAuthTypes,
  parseCommand,
  parseServerHashNonce,
  verifyServerHash,
} from '../../src/extorport/protocol.js';
import { COOKIE_HEADER, parseAuthCookie, readAuthCookieFile } from '../../src/extorport/cookie.js';
import { dialOr } from '../../src/extorport/client.js';
import { PtError } from '../../src/errors.js';
import { echoServer, listenLocal, readN } from '../net/support/loopback.js';
import { startFakeExtOrPort, writeCookieFile } from './support/fake-extorport.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const zero = new Uint8Array(32);

test('SAFE_COOKIE hashes: goptlib TestComputeServerHash vector (protocols.md §4) and more', () => {
  assert.equal(
    hex(computeServerHash(zero, zero, zero)),
    '9e221919982a84f75faf60ef926949796268c97833e06960ff265369a90fd6d8',
  );
  // Recomputed with Python's hmac module for this test.
  assert.equal(
    hex(computeClientHash(zero, zero, zero)),
    '0f368b1bee24aabc54a9114ce06c070f3ed99d0d368f599ccc6dfdc8bf457a62',
  );
  const cookie = Uint8Array.from({ length: 32 }, (_, i) => i);
  const cn = new Uint8Array(32).fill(0xaa);
  const sn = new Uint8Array(32).fill(0x55);
  assert.equal(
    hex(computeServerHash(cookie, cn, sn)),
    '66d0cc27562f57b8ee73def896c815f4cec0c2b82e48888abf342523fdc8fdbd',
  );
  assert.equal(
    hex(computeClientHash(cookie, cn, sn)),
    '7d8dabf4f71fa0644473b25716ee9c968a699b79de922cdf2d04839674a3c5ec',
  );
  verifyServerHash(zero, zero, zero, computeServerHash(zero, zero, zero));
  const wrong = computeServerHash(zero, zero, zero);
  wrong[31] = (wrong[31] ?? 0) ^ 1;
  assert.throws(
    () => verifyServerHash(zero, zero, zero, wrong),
    /mismatch in the ExtORPort server hash/,
  );
  assert.throws(() => verifyServerHash(zero, zero, zero, wrong.subarray(0, 31)), PtError);
});

test('cookie file: 64 bytes with the header, else a clear error', async () => {
  const cookie = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
  assert.deepEqual(parseAuthCookie(Buffer.concat([COOKIE_HEADER, cookie])), cookie);
  assert.throws(
    () => parseAuthCookie(Buffer.concat([COOKIE_HEADER, cookie, Buffer.of(0)])),
    /65 bytes, expected 64/,
  );
  assert.throws(() => parseAuthCookie(Buffer.alloc(64)), /lacks the .* header/);
  const dir = await mkdtemp(join(tmpdir(), 'steppe-cookie-'));
  try {
    await assert.rejects(
      readAuthCookieFile(join(dir, 'missing')),
      /cannot read TOR_PT_AUTH_COOKIE_FILE ".*missing": ENOENT/,
    );
    await writeFile(join(dir, 'short'), 'x');
    await assert.rejects(readAuthCookieFile(join(dir, 'short')), /1 bytes, expected 64/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('command framing and metadata (USERADDR, TRANSPORT, DONE)', () => {
  assert.equal(hex(encodeCommand(0x1000)), '10000000');
  assert.equal(
    hex(encodeMetadata('[2001:db8::1]:443', 'obfs4')),
    '0001' +
      '0011' +
      Buffer.from('[2001:db8::1]:443').toString('hex') +
      '0002' +
      '0005' +
      Buffer.from('obfs4').toString('hex') +
      '00000000',
  );
  assert.equal(hex(encodeMetadata(undefined, undefined)), '00000000');
  assert.throws(() => encodeMetadata('a\0b', 'x'), /NUL/);
  assert.throws(() => encodeCommand(1, new Uint8Array(65536)), RangeError);
  assert.deepEqual(parseCommand(Buffer.from('1001000161', 'hex')), {
    value: { command: 0x1001, body: Uint8Array.of(0x61) },
    consumed: 5,
  });
  assert.equal(parseCommand(Buffer.from('100100016', 'hex')), null);
  assert.deepEqual(parseAuthTypes(Buffer.from('0301', 'hex')), null);
  assert.deepEqual(parseAuthTypes(Buffer.from('030100ff', 'hex')), {
    value: new Set([3, 1]),
    consumed: 3,
  });
  assert.throws(() => parseAuthTypes(Buffer.alloc(256, 1)), /256 ExtORPort auth types/);
  assert.throws(() => parseAuthStatus(Buffer.of(0)), /rejected the ExtORPort authentication/);
});

test('ExtORPort parsers never throw anything but PtError', () => {
  const parsers = [parseAuthTypes, parseServerHashNonce, parseAuthStatus, parseCommand];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      for (const p of parsers) {
        try {
          const r = p(b);
          if (r !== null) assert.ok(r.consumed > 0 && r.consumed <= b.length);
        } catch (e) {
          assert.ok(e instanceof PtError);
        }
      }
    }),
    { numRuns: 2000 },
  );
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-extor-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('dialOr authenticates, sends USERADDR and TRANSPORT, and then carries OR bytes', async () => {
  await withDir(async (dir) => {
    const cookieFile = join(dir, 'extended_orport_auth_cookie');
    await writeCookieFile(cookieFile);
    const ext = await startFakeExtOrPort({ cookieFile, extraCommands: 3 });
    const or = await dialOr({
      extOrPort: { host: '127.0.0.1', port: ext.port },
      orPort: null,
      authCookieFile: cookieFile,
      userAddr: '[2001:db8::7]:5555',
      transport: 'obfs4',
    });
    or.write('cell');
    assert.equal((await readN(or, 4)).toString(), 'cell');
    or.destroy();
    assert.deepEqual(ext.sessions, [
      { authenticated: true, userAddr: '[2001:db8::7]:5555', transport: 'obfs4' },
    ]);
    // tor rewrote its cookie (bug 15240): the next connection must use the new one.
    await writeCookieFile(cookieFile);
    const or2 = await dialOr({
      extOrPort: { host: '127.0.0.1', port: ext.port },
      orPort: null,
      authCookieFile: cookieFile,
    });
    or2.destroy();
    assert.equal(ext.sessions[1]?.authenticated, true);
    await ext.close();
  });
});

test('dialOr failures: DENY, wrong cookie, server hash mismatch, no SAFE_COOKIE, silence', async () => {
  await withDir(async (dir) => {
    const cookieFile = join(dir, 'cookie');
    await writeCookieFile(cookieFile);
    const dial = (port: number, file = cookieFile): ReturnType<typeof dialOr> =>
      dialOr({
        extOrPort: { host: '127.0.0.1', port },
        orPort: null,
        authCookieFile: file,
        userAddr: '1.2.3.4:5',
        transport: 'obfs4',
      });

    const deny = await startFakeExtOrPort({ cookieFile, deny: true });
    await assert.rejects(dial(deny.port), /answered DENY/);
    await deny.close();

    const otherCookie = join(dir, 'other');
    await writeCookieFile(otherCookie);
    const server = await startFakeExtOrPort({ cookieFile });
    await assert.rejects(
      dial(server.port, otherCookie),
      /mismatch in the ExtORPort server hash.*TOR_PT_AUTH_COOKIE_FILE/,
    );
    await assert.rejects(
      dial(server.port, join(dir, 'nope')),
      /cannot read TOR_PT_AUTH_COOKIE_FILE/,
    );
    await server.close();

    const bad = await startFakeExtOrPort({ cookieFile, badServerHash: true });
    await assert.rejects(dial(bad.port), /mismatch in the ExtORPort server hash/);
    await bad.close();

    const noCookieAuth = await startFakeExtOrPort({ cookieFile, authTypes: [2, 3] });
    await assert.rejects(dial(noCookieAuth.port), /did not offer ExtORPort auth type 1/);
    await noCookieAuth.close();

    const stall = await startFakeExtOrPort({ cookieFile, stall: true });
    const t0 = Date.now();
    await assert.rejects(
      dial(stall.port),
      (e: unknown) => e instanceof PtError && /timed out/.test(e.message),
    );
    const took = Date.now() - t0;
    assert.ok(took >= 4500 && took < 8000, `the 5 s deadline applies (took ${took} ms)`);
    await stall.close();

    const silent = await listenLocal(() => undefined);
    await assert.rejects(dial(silent.port), /timed out waiting for the ExtORPort auth types/);
    await silent.close();
  });
});

test('dialOr without an Extended ORPort connects to the plain ORPort', async () => {
  const echo = await echoServer();
  const or = await dialOr({
    extOrPort: null,
    orPort: { host: '127.0.0.1', port: echo.port },
    authCookieFile: null,
  });
  or.write('x');
  assert.equal((await readN(or, 1)).toString(), 'x');
  or.destroy();
  await echo.close();
});
