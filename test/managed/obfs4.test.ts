// obfs4 through the whole managed machinery: bin/steppe as client and as bridge, each against
// itself and against the reference obfs4proxy in managed mode, at iat-mode 0 and 1, with a
// fake tor Extended ORPort (or plain ORPort) behind the bridge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseSmethodArgs } from '../../src/pt/args.js';
import { exitWithin, methodPort, spawnPt, type PtProcess } from './support/spawn.js';
import { socksConnect } from './support/socks-client.js';
import { startFakeExtOrPort, writeCookieFile } from '../extorport/support/fake-extorport.js';
import { echoServer, readN } from '../net/support/loopback.js';

const OBFS4PROXY = '/usr/bin/obfs4proxy';
const haveObfs4proxy = existsSync(OBFS4PROXY);
const CI = process.env['CI'] === 'true';
// In CI the reference must be there: a missing binary fails instead of skipping.
const interopSkip =
  haveObfs4proxy || CI ? false : 'obfs4proxy is not installed (apt-get install obfs4proxy)';

type Side = 'steppe' | 'obfs4proxy';

function spawnSide(side: Side, env: Record<string, string>): PtProcess {
  if (side === 'obfs4proxy' && !haveObfs4proxy)
    throw new Error(`${OBFS4PROXY} is missing (CI requires it)`);
  return side === 'steppe' ? spawnPt('steppe', env) : spawnPt([OBFS4PROXY], env);
}

async function pair(
  clientSide: Side,
  bridgeSide: Side,
  iatMode: 0 | 1,
  useExtOrPort: boolean,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-obfs4-'));
  const procs: PtProcess[] = [];
  const cookieFile = join(dir, 'cookie');
  await writeCookieFile(cookieFile);
  const ext = await startFakeExtOrPort({ cookieFile });
  const orport = await echoServer();
  try {
    const bridge = spawnSide(bridgeSide, {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_SERVER_TRANSPORTS: 'obfs4',
      TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
      TOR_PT_SERVER_TRANSPORT_OPTIONS: `obfs4:iat-mode=${iatMode}`,
      TOR_PT_ORPORT: `127.0.0.1:${orport.port}`,
      ...(useExtOrPort
        ? {
            TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${ext.port}`,
            TOR_PT_AUTH_COOKIE_FILE: cookieFile,
          }
        : {}),
      TOR_PT_STATE_LOCATION: join(dir, 'bridge'),
      TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    });
    procs.push(bridge);
    const smethod = await bridge.waitForLine(/^SMETHOD obfs4 /);
    const argsText = / ARGS:(\S*)/.exec(smethod)?.[1] ?? '';
    const bridgeArgs = parseSmethodArgs(argsText);
    assert.equal(bridgeArgs.get('iat-mode')?.[0], String(iatMode));
    assert.equal(bridgeArgs.get('cert')?.[0]?.length, 70);

    const cli = spawnSide(clientSide, {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
      TOR_PT_STATE_LOCATION: join(dir, 'client'),
      TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    });
    procs.push(cli);
    const socksPort = methodPort(await cli.waitForLine(/^CMETHOD obfs4 /));
    const s = await socksConnect(
      socksPort,
      { host: '127.0.0.1', port: methodPort(smethod) },
      bridgeArgs,
    );
    const payload = randomBytes(iatMode === 0 ? 256 * 1024 : 32 * 1024);
    s.write(payload);
    const back = await readN(s, payload.length, 60_000);
    assert.ok(back.equals(payload), 'payload came back intact');
    s.destroy();
    if (useExtOrPort) {
      assert.equal(ext.sessions.length, 1);
      assert.equal(ext.sessions[0]?.transport, 'obfs4');
      assert.match(ext.sessions[0]?.userAddr ?? '', /^127\.0\.0\.1:\d+$/);
    } else {
      assert.equal(orport.peers.length, 1);
    }
    for (const p of procs) p.proc.stdin?.end();
    for (const p of procs) assert.equal((await exitWithin(p)).code, 0);
  } finally {
    for (const p of procs) await p.stop();
    await ext.close();
    await orport.close();
    await rm(dir, { recursive: true, force: true });
  }
}

for (const iat of [0, 1] as const) {
  test(`steppe client -> steppe bridge, iat-mode ${iat}, Extended ORPort`, () =>
    pair('steppe', 'steppe', iat, true));
  test(`steppe client -> obfs4proxy bridge, iat-mode ${iat}`, { skip: interopSkip }, () =>
    pair('steppe', 'obfs4proxy', iat, true),
  );
  test(`obfs4proxy client -> steppe bridge, iat-mode ${iat}`, { skip: interopSkip }, () =>
    pair('obfs4proxy', 'steppe', iat, true),
  );
}
test('steppe client -> steppe bridge, plain ORPort', () => pair('steppe', 'steppe', 0, false));

test('a bad obfs4 Bridge line (no cert) is refused before connecting, and tor hears why', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-obfs4-'));
  const cli = spawnPt('steppe', {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
    TOR_PT_STATE_LOCATION: dir,
  });
  const orport = await echoServer();
  try {
    const socksPort = methodPort(await cli.waitForLine(/^CMETHOD obfs4 /));
    await assert.rejects(
      socksConnect(
        socksPort,
        { host: '127.0.0.1', port: orport.port },
        new Map([['iat-mode', ['0']]]),
      ),
    );
    const log = await cli.waitForLine(/^LOG /);
    assert.match(
      log,
      /^LOG SEVERITY=warning MESSAGE="obfs4: the Bridge line's arguments are invalid: .*cert/,
    );
    assert.equal(orport.peers.length, 0, 'nothing was sent to the bridge');
  } finally {
    await cli.stop();
    await orport.close();
    await rm(dir, { recursive: true, force: true });
  }
});
