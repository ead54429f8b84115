// bin/steppe started like tor starts it, with broken configurations: each must produce the
// right pt-spec line (in the position tor accepts it) and a message that says what to fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitWithin, spawnPt } from './support/spawn.js';
import { listenLocal } from '../net/support/loopback.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-managed-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs bin/steppe to exit and returns its stdout lines and exit code. */
async function run(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  const p = spawnPt('steppe', env, args);
  try {
    const { code } = await exitWithin(p, 15_000);
    return { lines: p.lines, code, stderr: p.stderr() };
  } finally {
    await p.stop();
  }
}

test('environment errors come before VERSION, with the reason', async () => {
  await withDir(async (dir) => {
    const base = { TOR_PT_MANAGED_TRANSPORT_VER: '1', TOR_PT_STATE_LOCATION: join(dir, 'state') };
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { TOR_PT_MANAGED_TRANSPORT_VER: '1', TOR_PT_CLIENT_TRANSPORTS: 'obfs4' },
        /^ENV-ERROR no TOR_PT_STATE_LOCATION environment variable/,
      ],
      [
        { ...base, TOR_PT_CLIENT_TRANSPORTS: 'obfs4', TOR_PT_SERVER_TRANSPORTS: 'obfs4' },
        /^ENV-ERROR TOR_PT_\[CLIENT,SERVER\]_TRANSPORTS both set/,
      ],
      [{ ...base }, /^ENV-ERROR neither TOR_PT_CLIENT_TRANSPORTS nor TOR_PT_SERVER_TRANSPORTS/],
      [
        { ...base, TOR_PT_SERVER_TRANSPORTS: 'obfs4', TOR_PT_ORPORT: '127.0.0.1:9001' },
        /^ENV-ERROR no TOR_PT_SERVER_BINDADDR/,
      ],
      [
        {
          ...base,
          TOR_PT_SERVER_TRANSPORTS: 'obfs4',
          TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
          TOR_PT_EXTENDED_SERVER_PORT: '127.0.0.1:9',
        },
        /^ENV-ERROR need TOR_PT_AUTH_COOKIE_FILE environment variable with TOR_PT_EXTENDED_SERVER_PORT/,
      ],
      [
        {
          ...base,
          TOR_PT_SERVER_TRANSPORTS: 'obfs4',
          TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
          TOR_PT_ORPORT: 'localhost:9001',
        },
        /^ENV-ERROR cannot resolve TOR_PT_ORPORT "localhost:9001": not an IP string/,
      ],
      [
        { ...base, TOR_PT_CLIENT_TRANSPORTS: 'obfs4', TOR_PT_OUTBOUND_BIND_ADDRESS_V4: 'eth0' },
        /^ENV-ERROR TOR_PT_OUTBOUND_BIND_ADDRESS_V4 "eth0" is not an IPv4 address/,
      ],
    ];
    for (const [env, re] of cases) {
      const r = await run(env);
      assert.equal(r.code, 1, JSON.stringify(env));
      assert.equal(r.lines.length, 1, r.lines.join('\n'));
      assert.match(r.lines[0] ?? '', re);
    }
    const ver = await run({
      ...base,
      TOR_PT_MANAGED_TRANSPORT_VER: '2',
      TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
    });
    assert.match(ver.lines[0] ?? '', /^VERSION-ERROR no-version /);
    assert.equal(ver.lines.length, 1);
    assert.equal(ver.code, 1);
  });
});

test('an unusable state directory is an ENV-ERROR naming the path and the fix', async () => {
  await withDir(async (dir) => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const r = await run({
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
      TOR_PT_STATE_LOCATION: join(file, 'pt_state'),
    });
    assert.equal(r.code, 1);
    assert.deepEqual(r.lines.length, 1);
    assert.match(
      r.lines[0] ?? '',
      /^ENV-ERROR TOR_PT_STATE_LOCATION ".*not-a-dir\/pt_state": cannot create the state directory: ENOTDIR.*a file is in the way/,
    );
  });
});

test('a bad TOR_PT_PROXY is a PROXY-ERROR after VERSION', async () => {
  await withDir(async (dir) => {
    const base = {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
      TOR_PT_STATE_LOCATION: dir,
    };
    const cases: Array<[string, RegExp]> = [
      [
        'socks5://proxy.example:1080',
        /^PROXY-ERROR proxy URI has invalid host: not an IP string: "proxy.example"; TOR_PT_PROXY must name the proxy by IP address/,
      ],
      [
        'socks4a://user:secret@127.0.0.1:1080',
        /^PROXY-ERROR proxy URI specified SOCKS4a and a password: SOCKS4a has no password field/,
      ],
      ['https://127.0.0.1:443', /^PROXY-ERROR proxy URI has invalid scheme: "https"/],
      ['socks5://127.0.0.1', /^PROXY-ERROR proxy URI has invalid host: .*missing port/],
    ];
    for (const [uri, re] of cases) {
      const r = await run({ ...base, TOR_PT_PROXY: uri });
      assert.equal(r.code, 1, uri);
      assert.deepEqual(r.lines.slice(0, 1), ['VERSION 1'], uri);
      assert.match(r.lines[1] ?? '', re, uri);
      assert.equal(r.lines.length, 2, r.lines.join('\n'));
    }
  });
});

test('unknown transports are skipped silently; with nothing left steppe says so and exits', async () => {
  await withDir(async (dir) => {
    const only = await run({
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: 'snowflake,meek_lite',
      TOR_PT_STATE_LOCATION: dir,
    });
    assert.equal(only.code, 1);
    assert.deepEqual(only.lines.slice(0, 3), [
      'VERSION 1',
      'STATUS TYPE=version IMPLEMENTATION="steppe" VERSION="0.1.0"',
      'CMETHODS DONE',
    ]);
    assert.ok(
      !only.lines.some((l) => l.startsWith('CMETHOD-ERROR')),
      'no CMETHOD-ERROR for unknown names (pt-spec)',
    );
    assert.match(
      only.lines[3] ?? '',
      /^LOG SEVERITY=error MESSAGE=".*started none of the requested transports \(snowflake,meek_lite\); it has: obfs4/,
    );
  });
});

test('a server port in use is an SMETHOD-ERROR that names the address and the fix', async () => {
  await withDir(async (dir) => {
    const busy = await listenLocal(() => undefined);
    try {
      const r = await run({
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_SERVER_TRANSPORTS: 'obfs4',
        TOR_PT_SERVER_BINDADDR: `obfs4-127.0.0.1:${busy.port}`,
        TOR_PT_ORPORT: '127.0.0.1:9',
        TOR_PT_STATE_LOCATION: dir,
      });
      assert.equal(r.code, 1);
      assert.match(
        r.lines[2] ?? '',
        new RegExp(
          `^SMETHOD-ERROR obfs4 obfs4-127\\.0\\.0\\.1:${busy.port}: cannot listen on 127\\.0\\.0\\.1:${busy.port}: the address is already in use.*ServerTransportListenAddr obfs4`,
        ),
      );
      assert.equal(r.lines[3], 'SMETHODS DONE');
    } finally {
      await busy.close();
    }
  });
});

test('bad server transport options are an SMETHOD-ERROR from the transport', async () => {
  await withDir(async (dir) => {
    const r = await run({
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_SERVER_TRANSPORTS: 'obfs4',
      TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
      TOR_PT_SERVER_TRANSPORT_OPTIONS: 'obfs4:iat-mode=7',
      TOR_PT_ORPORT: '127.0.0.1:9',
      TOR_PT_STATE_LOCATION: dir,
    });
    assert.equal(r.code, 1);
    assert.match(r.lines[2] ?? '', /^SMETHOD-ERROR obfs4 .*iat-mode.*ServerTransportOptions obfs4/);
  });
});

test('bad command-line flags are reported to tor and on stderr', async () => {
  await withDir(async (dir) => {
    const env = {
      TOR_PT_MANAGED_TRANSPORT_VER: '1',
      TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
      TOR_PT_STATE_LOCATION: dir,
    };
    const r = await run(env, ['-logLevel', 'LOUD']);
    assert.equal(r.code, 2);
    assert.match(
      r.lines[0] ?? '',
      /^ENV-ERROR invalid command line in the torrc PT line: invalid log level "LOUD": use error, warn, info or debug/,
    );
    assert.match(r.stderr, /invalid log level/);
    const unknown = await run(env, ['--frobnicate']);
    assert.match(unknown.lines[0] ?? '', /unknown argument "--frobnicate"/);
  });
});

test("obfs4proxy's flag spellings turn on logging to the state directory", async () => {
  await withDir(async (dir) => {
    const p = spawnPt(
      'steppe',
      {
        TOR_PT_MANAGED_TRANSPORT_VER: '1',
        TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
        TOR_PT_STATE_LOCATION: dir,
        TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
      },
      ['-enableLogging', '-logLevel', 'DEBUG', '-unsafeLogging'],
    );
    try {
      await p.waitForLine(/^CMETHODS DONE$/);
      p.proc.stdin?.end();
      const { code } = await exitWithin(p);
      assert.equal(code, 0);
      const log = await readFile(join(dir, 'steppe.log'), 'utf8');
      assert.match(log, /"level":"notice".*launched \(client\)/);
      assert.match(log, /registered listener: 127\.0\.0\.1:\d+/, 'unsafe logging keeps addresses');
      assert.match(log, /terminating: stdin closed/);
    } finally {
      await p.stop();
    }
  });
});
