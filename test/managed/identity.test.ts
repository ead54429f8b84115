// Managed client and server processes end to end, with the test-only identity transport:
// SOCKS with per-connection args, SMETHOD ARGS, the Extended ORPort (a fake tor), the plain
// ORPort, upstream proxies, IPv6 and dual stack, and the lifecycle signals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { exitWithin, methodPort, spawnPt, type PtProcess } from './support/spawn.js';
import { socksConnect, SocksReplyError } from './support/socks-client.js';
import { startFakeExtOrPort, writeCookieFile } from '../extorport/support/fake-extorport.js';
import { closedPort, echoServer, readN } from '../net/support/loopback.js';
import { startHttpConnectProxy, startSocksProxy } from '../net/support/proxies.js';

const TOKEN = new Map([['token', ['abc123']]]);

interface Net {
  dir: string;
  ext: Awaited<ReturnType<typeof startFakeExtOrPort>>;
  cookieFile: string;
  procs: PtProcess[];
}

async function withNet(fn: (n: Net) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-id-'));
  const cookieFile = join(dir, 'extended_orport_auth_cookie');
  await writeCookieFile(cookieFile);
  const ext = await startFakeExtOrPort({ cookieFile });
  const n: Net = { dir, ext, cookieFile, procs: [] };
  try {
    await fn(n);
  } finally {
    for (const p of n.procs) await p.stop();
    await ext.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function server(
  n: Net,
  extra: Record<string, string> = {},
  bind = 'identity-127.0.0.1:0',
): PtProcess {
  const p = spawnPt('identity', {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_SERVER_TRANSPORTS: 'identity',
    TOR_PT_SERVER_BINDADDR: bind,
    TOR_PT_SERVER_TRANSPORT_OPTIONS: 'identity:token=abc123',
    TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${n.ext.port}`,
    TOR_PT_AUTH_COOKIE_FILE: n.cookieFile,
    TOR_PT_STATE_LOCATION: join(n.dir, 'server-state'),
    TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    ...extra,
  });
  n.procs.push(p);
  return p;
}

function client(n: Net, extra: Record<string, string> = {}): PtProcess {
  const p = spawnPt('identity', {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_CLIENT_TRANSPORTS: 'identity',
    TOR_PT_STATE_LOCATION: join(n.dir, 'client-state'),
    TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    ...extra,
  });
  n.procs.push(p);
  return p;
}

async function roundTrip(socksPort: number, serverPort: number, host = '127.0.0.1'): Promise<void> {
  const s = await socksConnect(socksPort, { host, port: serverPort }, TOKEN);
  s.write('hello tor');
  assert.equal((await readN(s, 9)).toString(), 'hello tor');
  s.destroy();
}

test('client and server PTs carry a connection into the Extended ORPort with USERADDR and TRANSPORT', async () => {
  await withNet(async (n) => {
    const srv = server(n);
    const smethod = await srv.waitForLine(/^SMETHOD identity /);
    assert.match(smethod, /^SMETHOD identity 127\.0\.0\.1:\d+ ARGS:token=abc123$/);
    await srv.waitForLine(/^SMETHODS DONE$/);
    assert.deepEqual(srv.lines.slice(0, 2), [
      'VERSION 1',
      'STATUS TYPE=version IMPLEMENTATION="steppe" VERSION="0.1.0"',
    ]);
    const cli = client(n);
    const cmethod = await cli.waitForLine(/^CMETHOD identity /);
    assert.match(cmethod, /^CMETHOD identity socks5 127\.0\.0\.1:\d+$/);
    await cli.waitForLine(/^CMETHODS DONE$/);
    await roundTrip(methodPort(cmethod), methodPort(smethod));
    assert.equal(n.ext.sessions.length, 1);
    assert.equal(n.ext.sessions[0]?.authenticated, true);
    assert.equal(n.ext.sessions[0]?.transport, 'identity');
    assert.match(n.ext.sessions[0]?.userAddr ?? '', /^127\.0\.0\.1:\d+$/);
    // stdin close (TOR_PT_EXIT_ON_STDIN_CLOSE=1) ends both.
    cli.proc.stdin?.end();
    srv.proc.stdin?.end();
    assert.equal((await exitWithin(cli)).code, 0);
    assert.equal((await exitWithin(srv)).code, 0);
  });
});

test('a bad Bridge line fails the SOCKS request and is reported to tor once', async () => {
  await withNet(async (n) => {
    const srv = server(n);
    const srvPort = methodPort(await srv.waitForLine(/^SMETHOD identity /));
    const cli = client(n);
    const socksPort = methodPort(await cli.waitForLine(/^CMETHOD identity /));
    await assert.rejects(
      socksConnect(socksPort, { host: '127.0.0.1', port: srvPort }, new Map([['token', ['BAD!']]])),
      (e: unknown) => {
        assert.ok(e instanceof SocksReplyError);
        assert.equal(e.reply, 1, 'general failure, as obfs4proxy answers bad args');
        return true;
      },
    );
    const log = await cli.waitForLine(/^LOG /);
    assert.equal(
      log,
      'LOG SEVERITY=warning MESSAGE="identity: the Bridge line\'s arguments are invalid: token \\042BAD!\\042 in the Bridge line is not lowercase alphanumeric"',
    );
    await assert.rejects(
      socksConnect(socksPort, { host: '127.0.0.1', port: srvPort }, new Map([['token', ['BAD!']]])),
      SocksReplyError,
    );
    await assert.rejects(
      socksConnect(socksPort, { host: '127.0.0.1', port: srvPort }),
      SocksReplyError,
    );
    await cli.waitForLine(/missing token= in the Bridge line/);
    assert.equal(
      cli.lines.filter((l) => l.includes('BAD!')).length,
      1,
      'the same message is not repeated',
    );
    assert.equal(n.ext.sessions.length, 0, 'nothing reached tor');
  });
});

test('SOCKS reply codes follow the real failure', async () => {
  await withNet(async (n) => {
    const cli = client(n);
    const socksPort = methodPort(await cli.waitForLine(/^CMETHOD identity /));
    const dead = await closedPort();
    await assert.rejects(
      socksConnect(socksPort, { host: '127.0.0.1', port: dead }, TOKEN),
      (e: unknown) => e instanceof SocksReplyError && e.reply === 5,
    );
  });
});

test('without an Extended ORPort the server goes to the plain ORPort', async () => {
  await withNet(async (n) => {
    const orport = await echoServer();
    try {
      const srv = server(n, {
        TOR_PT_EXTENDED_SERVER_PORT: '',
        TOR_PT_AUTH_COOKIE_FILE: '',
        TOR_PT_ORPORT: `127.0.0.1:${orport.port}`,
      });
      const srvPort = methodPort(await srv.waitForLine(/^SMETHOD identity /));
      const cli = client(n);
      await roundTrip(methodPort(await cli.waitForLine(/^CMETHOD identity /)), srvPort);
      assert.equal(orport.peers.length, 1);
      assert.equal(n.ext.sessions.length, 0);
    } finally {
      await orport.close();
    }
  });
});

test('a wrong ExtORPort cookie closes the connection and tells the operator', async () => {
  await withNet(async (n) => {
    const wrong = join(n.dir, 'stale_cookie');
    await writeCookieFile(wrong);
    const srv = server(n, { TOR_PT_AUTH_COOKIE_FILE: wrong });
    const srvPort = methodPort(await srv.waitForLine(/^SMETHOD identity /));
    const cli = client(n);
    const s = await socksConnect(
      methodPort(await cli.waitForLine(/^CMETHOD identity /)),
      { host: '127.0.0.1', port: srvPort },
      TOKEN,
    );
    s.write('x');
    await assert.rejects(readN(s, 1, 5000), /ended|timeout/);
    const log = await srv.waitForLine(/^LOG /);
    assert.match(
      log,
      /^LOG SEVERITY=warning MESSAGE="identity: Extended ORPort: mismatch in the ExtORPort server hash/,
    );
    s.destroy();
  });
});

test('TOR_PT_PROXY: the client reaches the bridge through SOCKS5, SOCKS4a and HTTP CONNECT proxies', async () => {
  await withNet(async (n) => {
    const srv = server(n);
    const srvPort = methodPort(await srv.waitForLine(/^SMETHOD identity /));
    const socks = await startSocksProxy({ auth: { username: 'u', password: 'p' } });
    const socks4 = await startSocksProxy();
    const http = await startHttpConnectProxy();
    try {
      for (const uri of [
        `socks5://u:p@127.0.0.1:${socks.port}`,
        `socks4a://127.0.0.1:${socks4.port}`,
        `http://127.0.0.1:${http.port}`,
      ]) {
        const cli = client(n, { TOR_PT_PROXY: uri });
        const cm = await cli.waitForLine(/^CMETHOD identity /);
        assert.deepEqual(cli.lines.slice(0, 2), ['VERSION 1', 'PROXY DONE'], uri);
        await roundTrip(methodPort(cm), srvPort);
        cli.proc.kill('SIGTERM');
        assert.equal((await exitWithin(cli)).code, 0);
      }
      assert.deepEqual(socks.targets, [`127.0.0.1:${srvPort}`]);
      assert.deepEqual(socks4.targets, [`127.0.0.1:${srvPort}`]);
      assert.deepEqual(http.targets, [`127.0.0.1:${srvPort}`]);
      // A proxy that is down gives a SOCKS failure and a LOG line naming TOR_PT_PROXY.
      const dead = await closedPort();
      const cli = client(n, { TOR_PT_PROXY: `socks5://127.0.0.1:${dead}` });
      const socksPort = methodPort(await cli.waitForLine(/^CMETHOD identity /));
      await assert.rejects(
        socksConnect(socksPort, { host: '127.0.0.1', port: srvPort }, TOKEN),
        SocksReplyError,
      );
      await cli.waitForLine(
        /^LOG SEVERITY=warning MESSAGE="identity: upstream proxy: cannot reach the upstream proxy socks5:\/\/127\.0\.0\.1:\d+ \(TOR_PT_PROXY\)/,
      );
    } finally {
      await socks.close();
      await socks4.close();
      await http.close();
    }
  });
});

test('IPv6 and dual-stack server listeners; USERADDR in the right form', async () => {
  await withNet(async (n) => {
    const v6 = server(n, {}, 'identity-[::1]:0');
    const line = await v6.waitForLine(/^SMETHOD/);
    if (/^SMETHOD-ERROR/.test(line)) {
      // This host has no IPv6 loopback: the error must say so.
      assert.match(line, /IPv6|EADDRNOTAVAIL|address/);
      return;
    }
    assert.match(line, /^SMETHOD identity \[::1\]:\d+ ARGS:token=abc123$/);
    const cli = client(n);
    const socksPort = methodPort(await cli.waitForLine(/^CMETHOD identity /));
    await roundTrip(socksPort, methodPort(line), '::1');
    assert.match(n.ext.sessions[0]?.userAddr ?? '', /^\[::1\]:\d+$/);

    const dual = server(n, {}, 'identity-0.0.0.0:0');
    const dline = await dual.waitForLine(/^SMETHOD identity /);
    assert.match(dline, /^SMETHOD identity 0\.0\.0\.0:\d+ ARGS:/);
    await roundTrip(socksPort, methodPort(dline), '127.0.0.1');
    await roundTrip(socksPort, methodPort(dline), '::1');
    assert.match(
      n.ext.sessions[1]?.userAddr ?? '',
      /^127\.0\.0\.1:\d+$/,
      'IPv4 clients of a dual-stack listener are reported as IPv4',
    );
    assert.match(n.ext.sessions[2]?.userAddr ?? '', /^\[::1\]:\d+$/);
  });
});

test('SIGINT stops accepting but lets open connections finish; a second SIGINT exits', async () => {
  await withNet(async (n) => {
    const srv = server(n);
    const srvPort = methodPort(await srv.waitForLine(/^SMETHOD identity /));
    const cli = client(n);
    const socksPort = methodPort(await cli.waitForLine(/^CMETHOD identity /));
    const open = await socksConnect(socksPort, { host: '127.0.0.1', port: srvPort }, TOKEN);
    cli.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    // The listener is closed...
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: socksPort });
        s.once('connect', () => {
          s.destroy();
          resolve(undefined);
        });
        s.once('error', reject);
      }),
      /ECONNREFUSED/,
    );
    // ...the open connection still works...
    open.write('still here');
    assert.equal((await readN(open, 10)).toString(), 'still here');
    assert.equal(cli.proc.exitCode, null);
    // ...and the process exits when it closes.
    open.destroy();
    assert.equal((await exitWithin(cli)).code, 0);

    // Second SIGINT while a connection is open: exit now.
    const cli2 = client(n);
    const port2 = methodPort(await cli2.waitForLine(/^CMETHOD identity /));
    const open2 = await socksConnect(port2, { host: '127.0.0.1', port: srvPort }, TOKEN);
    cli2.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(cli2.proc.exitCode, null);
    cli2.proc.kill('SIGINT');
    assert.equal((await exitWithin(cli2, 5000)).code, 0);
    open2.destroy();

    // SIGTERM exits at once even with connections open.
    const cli3 = client(n);
    const port3 = methodPort(await cli3.waitForLine(/^CMETHOD identity /));
    const open3 = await socksConnect(port3, { host: '127.0.0.1', port: srvPort }, TOKEN);
    open3.write('x');
    await readN(open3, 1);
    srv.proc.kill('SIGTERM');
    assert.equal((await exitWithin(srv, 5000)).code, 0);
    // The bridge going away closes the client's connection too.
    await assert.rejects(readN(open3, 1, 5000), /ended/);
    open3.destroy();
  });
});
