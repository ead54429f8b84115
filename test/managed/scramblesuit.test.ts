// ScrambleSuit through the whole managed machinery, beside obfs4 in the same processes: one
// SMETHOD per transport (scramblesuit's ARGS carry password=, configured or generated and kept
// across restarts), one CMETHOD per transport, and a steppe client and the reference obfs4proxy
// client reaching the steppe bridge through SOCKS with the password arg, behind it a fake tor
// Extended ORPort.
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
import { readN } from '../net/support/loopback.js';

const OBFS4PROXY = '/usr/bin/obfs4proxy';
const interopSkip =
  existsSync(OBFS4PROXY) || process.env['CI'] === 'true'
    ? false
    : 'obfs4proxy is not installed (apt-get install obfs4proxy)';
const PASSWORD = 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U';

function bridgeEnv(dir: string, extPort: number, cookieFile: string, options: string) {
  return {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_SERVER_TRANSPORTS: 'obfs4,scramblesuit',
    TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0,scramblesuit-127.0.0.1:0',
    ...(options === '' ? {} : { TOR_PT_SERVER_TRANSPORT_OPTIONS: options }),
    TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${extPort}`,
    TOR_PT_AUTH_COOKIE_FILE: cookieFile,
    TOR_PT_STATE_LOCATION: join(dir, 'bridge'),
    TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
  };
}

async function roundTrip(socksPort: number, bridgePort: number, password: string): Promise<void> {
  const s = await socksConnect(
    socksPort,
    { host: '127.0.0.1', port: bridgePort },
    new Map([['password', [password]]]),
  );
  const payload = randomBytes(256 * 1024);
  s.write(payload);
  const back = await readN(s, payload.length, 60_000);
  assert.ok(back.equals(payload), 'payload came back intact');
  s.destroy();
}

for (const client of ['steppe', 'obfs4proxy'] as const) {
  test(
    `${client} client -> steppe bridge: scramblesuit beside obfs4, configured password`,
    { skip: client === 'obfs4proxy' ? interopSkip : false, timeout: 120_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'steppe-ss-managed-'));
      const procs: PtProcess[] = [];
      const cookieFile = join(dir, 'cookie');
      await writeCookieFile(cookieFile);
      const ext = await startFakeExtOrPort({ cookieFile });
      try {
        const bridge = spawnPt(
          'steppe',
          bridgeEnv(dir, ext.port, cookieFile, `scramblesuit:password=${PASSWORD}`),
        );
        procs.push(bridge);
        await bridge.waitForLine(/^SMETHOD obfs4 /);
        const smethod = await bridge.waitForLine(/^SMETHOD scramblesuit /);
        const args = parseSmethodArgs(/ ARGS:(\S*)/.exec(smethod)?.[1] ?? '');
        assert.deepEqual([...args], [['password', [PASSWORD]]]);
        await bridge.waitForLine(/^SMETHODS DONE$/);
        const cli = spawnPt(client === 'steppe' ? 'steppe' : [OBFS4PROXY], {
          TOR_PT_MANAGED_TRANSPORT_VER: '1',
          TOR_PT_CLIENT_TRANSPORTS: 'scramblesuit,obfs4',
          TOR_PT_STATE_LOCATION: join(dir, 'client'),
          TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
        });
        procs.push(cli);
        const socksPort = methodPort(await cli.waitForLine(/^CMETHOD scramblesuit /));
        await cli.waitForLine(/^CMETHOD obfs4 /);
        // The second connection redeems the ticket the first one left in the client's state.
        for (let i = 0; i < 2; i++) await roundTrip(socksPort, methodPort(smethod), PASSWORD);
        assert.equal(ext.sessions.length, 2);
        assert.equal(ext.sessions[0]?.transport, 'scramblesuit');
        for (const p of procs) p.proc.stdin?.end();
        for (const p of procs) assert.equal((await exitWithin(p)).code, 0);
        assert.ok(existsSync(join(dir, 'client', 'scramblesuit_tickets.json')));
      } finally {
        for (const p of procs) await p.stop();
        await ext.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
}

test(
  'a bridge without a password generates one, publishes it and keeps it',
  { timeout: 60_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-ss-managed-'));
    const cookieFile = join(dir, 'cookie');
    await writeCookieFile(cookieFile);
    const ext = await startFakeExtOrPort({ cookieFile });
    try {
      const passwords: string[] = [];
      for (let run = 0; run < 2; run++) {
        const bridge = spawnPt('steppe', bridgeEnv(dir, ext.port, cookieFile, ''));
        try {
          const smethod = await bridge.waitForLine(/^SMETHOD scramblesuit /);
          const pw = parseSmethodArgs(/ ARGS:(\S*)/.exec(smethod)?.[1] ?? '').get('password')?.[0];
          assert.match(pw ?? '', /^[A-Z2-7]{32}$/);
          passwords.push(pw!);
          bridge.proc.stdin?.end();
          assert.equal((await exitWithin(bridge)).code, 0);
        } finally {
          await bridge.stop();
        }
      }
      assert.equal(passwords[0], passwords[1]);
    } finally {
      await ext.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a bad password option is one SMETHOD-ERROR naming it; obfs4 still starts',
  { timeout: 60_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-ss-managed-'));
    const cookieFile = join(dir, 'cookie');
    await writeCookieFile(cookieFile);
    const ext = await startFakeExtOrPort({ cookieFile });
    const bridge = spawnPt(
      'steppe',
      bridgeEnv(dir, ext.port, cookieFile, 'scramblesuit:password=nope'),
    );
    try {
      const err = await bridge.waitForLine(/^SMETHOD-ERROR scramblesuit /);
      assert.match(err, /password=/);
      await bridge.waitForLine(/^SMETHOD obfs4 /);
    } finally {
      await bridge.stop();
      await ext.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test(
  '--workers 2: scramblesuit (its replay filters are not shared) is served by the primary',
  { timeout: 120_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-ss-managed-'));
    const procs: PtProcess[] = [];
    const cookieFile = join(dir, 'cookie');
    await writeCookieFile(cookieFile);
    const ext = await startFakeExtOrPort({ cookieFile });
    try {
      const bridge = spawnPt(
        'steppe',
        bridgeEnv(dir, ext.port, cookieFile, `scramblesuit:password=${PASSWORD}`),
        ['--workers', '2', '--log-level', 'info', '--log-file', 'stderr'],
      );
      procs.push(bridge);
      const smethod = await bridge.waitForLine(/^SMETHOD scramblesuit /);
      await bridge.waitForLine(/^LOG SEVERITY=notice MESSAGE="2 workers running/);
      const cli = spawnPt('steppe', {
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_CLIENT_TRANSPORTS: 'scramblesuit',
        TOR_PT_STATE_LOCATION: join(dir, 'client'),
        TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
      });
      procs.push(cli);
      const socksPort = methodPort(await cli.waitForLine(/^CMETHOD scramblesuit /));
      // UniformDH, then the ticket it left: both in the one process that holds both filters.
      for (let i = 0; i < 2; i++) await roundTrip(socksPort, methodPort(smethod), PASSWORD);
      assert.equal(ext.sessions.length, 2);
      assert.match(bridge.stderr(), /scramblesuit\(/);
      assert.doesNotMatch(bridge.stderr(), /worker \d+: scramblesuit\(/);
    } finally {
      for (const p of procs) await p.stop();
      await ext.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
