// End to end through the real CLI: an echo service behind `steppe server`, `steppe client` in
// front, both spawned from bin/steppe, everything on loopback.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHashEcho, type HashEcho } from '../_support/echo.js';
import { echoTransfer } from '../_support/transfer.js';
import { startHttpConnectProxy, startSocksProxy } from '../net/support/proxies.js';
import { parseProxyV2 } from '../tunnel/support/proxy-v2-parser.js';
import { socks5Connect } from '../_support/socks-client.js';
import { startFakeExtOrPort, writeCookieFile } from '../extorport/support/fake-extorport.js';
import { socks5 } from './support/socks.js';
import {
  runToExit,
  startSteppeClient,
  startSteppeServer,
  type SteppeProcess,
  type SteppeServer,
} from './support/steppe.js';

const MiB = 1024 * 1024;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'steppe-cli-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function echo(): Promise<HashEcho> {
  const e = await startHashEcho();
  cleanups.push(() => e.close());
  return e;
}

async function server(args: string[]): Promise<SteppeServer> {
  const s = await startSteppeServer(['--state', await tempDir(), ...args]);
  cleanups.push(() => s.p.stop());
  return s;
}

async function client(args: string[]): Promise<{ p: SteppeProcess; port: number }> {
  const c = await startSteppeClient(args);
  cleanups.push(() => c.p.stop());
  return c;
}

function dial(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host, allowHalfOpen: true });
    s.once('connect', () => resolve(s)).once('error', reject);
  });
}

/** Waits (bounded) until the echo server has recorded `sha` for a finished connection. */
async function echoSaw(e: HashEcho, sha: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!e.received.includes(sha)) {
    if (Date.now() > until) assert.fail(`the echo service never saw ${sha.slice(0, 12)}…`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(p: SteppeProcess): Promise<void> {
  await p.stop();
}

test(
  '64 MiB each way through server and client, SHA-256 checked',
  { timeout: 300_000 },
  async (t) => {
    const e = await echo();
    const s = await server(['--forward', `127.0.0.1:${e.port}`, '--iat-mode', '0']);
    assert.match(s.bridgeLine, /^Bridge obfs4 127\.0\.0\.1:\d+ cert=[A-Za-z0-9+/]{70} iat-mode=0$/);
    const c = await client([
      '--server',
      `127.0.0.1:${s.port}`,
      '--cert',
      s.cert,
      '--listen',
      '127.0.0.1:0',
    ]);
    const sock = await dial(c.port);
    const started = performance.now();
    const r = await echoTransfer(sock, 64 * MiB, 240_000);
    const secs = (performance.now() - started) / 1000;
    assert.equal(r.received, 64 * MiB);
    assert.equal(r.receivedSha, r.sentSha);
    await echoSaw(e, r.sentSha);
    t.diagnostic(
      `64 MiB each way in ${secs.toFixed(2)} s (${((64 * 2) / secs).toFixed(1)} MiB/s both directions together)`,
    );
    await stop(c.p);
    await stop(s.p);
  },
);

test('200 concurrent connections', { timeout: 180_000 }, async (t) => {
  const e = await echo();
  const s = await server(['--forward', `127.0.0.1:${e.port}`]);
  const c = await client(['--connect', s.share, '--listen', '127.0.0.1:0']);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const sock = await dial(c.port);
      return echoTransfer(sock, 16 * 1024 + i * 97, 150_000);
    }),
  );
  for (const r of results) assert.equal(r.receivedSha, r.sentSha);
  for (const r of results) await echoSaw(e, r.sentSha);
  t.diagnostic(
    `200 concurrent echo connections in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );
  await stop(c.p);
  await stop(s.p);
});

test(
  'obfs2 --shared-secret on both sides; a client with another secret is refused at start',
  { timeout: 60_000 },
  async () => {
    const e = await echo();
    const s = await server([
      '--transport',
      'obfs2',
      '--shared-secret',
      'open sesame',
      '--forward',
      `127.0.0.1:${e.port}`,
    ]);
    const good = await client([
      '--connect',
      s.share,
      '--shared-secret',
      'open sesame',
      '--listen',
      '127.0.0.1:0',
    ]);
    const r = await echoTransfer(await dial(good.port), 100_000);
    assert.equal(r.receivedSha, r.sentSha);
    // The client's start-up check meets the server and says what is wrong, in one line.
    await assert.rejects(
      client(['--connect', s.share, '--shared-secret', 'open barley', '--listen', '127.0.0.1:0']),
      /steppe client: obfs2: wrong magic value [0-9a-f]{8} \(a different shared secret, or not obfs2\)/,
    );
  },
);

test('a client configured only from the share string', { timeout: 60_000 }, async () => {
  const e = await echo();
  const s = await server(['--forward', `127.0.0.1:${e.port}`, '--iat-mode', '1']);
  assert.match(s.share, /^steppe:\/\/obfs4@127\.0\.0\.1:\d+\?cert=[^&]{70,}&iat-mode=1$/);
  const c = await client(['--connect', s.share, '--listen', '127.0.0.1:0']);
  const r = await echoTransfer(await dial(c.port), 256 * 1024);
  assert.equal(r.receivedSha, r.sentSha);
  // SIGINT / SIGTERM stop both cleanly, with status 0 and nothing on stderr.
  c.p.proc.kill('SIGINT');
  s.p.proc.kill('SIGTERM');
  assert.deepEqual(await c.p.exited, { code: 0, signal: null });
  assert.deepEqual(await s.p.exited, { code: 0, signal: null });
  assert.equal(c.p.stderr(), '');
});

test(
  'the SOCKS5 front reaches two different targets through --forward socks',
  { timeout: 60_000 },
  async () => {
    const a = await echo();
    const b = await echo();
    const s = await server(['--forward', 'socks']);
    const c = await client(['--connect', s.share, '--socks', '127.0.0.1:0']);
    const viaA = await socksTransfer(c.port, '127.0.0.1', a.port, 300_000);
    const viaB = await socksTransfer(c.port, 'localhost', b.port, 200_000);
    assert.equal(viaA.receivedSha, viaA.sentSha);
    assert.equal(viaB.receivedSha, viaB.sentSha);
    await echoSaw(a, viaA.sentSha);
    await echoSaw(b, viaB.sentSha);
    assert.ok(!a.received.includes(viaB.sentSha) && !b.received.includes(viaA.sentSha));
    // A refused target comes back as SOCKS reply 5 (connection refused) from the far side.
    const closed = await freePort();
    await assert.rejects(
      socks5(c.port, '127.0.0.1', closed),
      (err: { reply?: number }) => err.reply === 5,
    );
    await stop(c.p);
    await stop(s.p);
  },
);

test(
  '--socks against a server that forwards to a fixed target says so',
  { timeout: 60_000 },
  async () => {
    const e = await echo();
    const s = await server(['--forward', `127.0.0.1:${e.port}`]);
    const c = await client(['--connect', s.share, '--socks', '127.0.0.1:0', '--log-level', 'warn']);
    await assert.rejects(
      socks5(c.port, '127.0.0.1', 80),
      (err: { reply?: number }) => err.reply === 1,
    );
    await waitFor(() =>
      /does not speak SOCKS5 inside the tunnel: start it with --forward socks/.test(c.p.stderr()),
    );
    await stop(c.p);
    await stop(s.p);
  },
);

test(
  '--proxy-protocol: the target sees a PROXY v2 header with the client address',
  { timeout: 60_000 },
  async () => {
    const headers: Buffer[] = [];
    const target = createServer({ allowHalfOpen: true }, (sock) => {
      let buf = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        buf = Buffer.concat([buf, d]);
        const h = parseProxyV2(buf);
        if (h === null) return;
        sock.off('data', onData);
        headers.push(buf.subarray(0, h.length));
        const rest = buf.subarray(h.length);
        if (rest.length > 0) sock.write(rest);
        sock.pipe(sock);
      };
      sock.on('data', onData);
      sock.on('error', () => sock.destroy());
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => target.close(r)));
    const s = await server([
      '--forward',
      `127.0.0.1:${(target.address() as AddressInfo).port}`,
      '--proxy-protocol',
    ]);
    const c = await client(['--connect', s.share, '--listen', '127.0.0.1:0', '--no-check']);
    const r = await echoTransfer(await dial(c.port), 100_000);
    assert.equal(r.receivedSha, r.sentSha);
    assert.equal(headers.length, 1);
    const h = parseProxyV2(headers[0]!);
    assert.equal(h?.command, 'PROXY');
    assert.equal(h?.family, 'tcp4');
    assert.equal(h?.source?.address, '127.0.0.1');
    assert.deepEqual(h?.destination, { address: '127.0.0.1', port: s.port });
    await stop(c.p);
    await stop(s.p);
  },
);

test(
  'upstream proxies (socks5 and http CONNECT), a host name and IPv6',
  { timeout: 90_000 },
  async () => {
    const e = await echo();
    const s = await server(['--forward', `127.0.0.1:${e.port}`]);
    const socksProxy = await startSocksProxy();
    const httpProxy = await startHttpConnectProxy({ auth: { username: 'u', password: 'p w' } });
    cleanups.push(
      () => socksProxy.close(),
      () => httpProxy.close(),
    );
    for (const proxy of [
      `socks5://127.0.0.1:${socksProxy.port}`,
      `http://u:p%20w@localhost:${httpProxy.port}`,
    ]) {
      const c = await client(['--connect', s.share, '--listen', '127.0.0.1:0', '--proxy', proxy]);
      const r = await echoTransfer(await dial(c.port), 500_000);
      assert.equal(r.receivedSha, r.sentSha, proxy);
      await stop(c.p);
    }
    assert.ok(socksProxy.targets.includes(`127.0.0.1:${s.port}`), socksProxy.targets.join());
    assert.ok(httpProxy.targets.includes(`127.0.0.1:${s.port}`), httpProxy.targets.join());

    // The server by host name.
    const named = await client([
      '--server',
      `localhost:${s.port}`,
      '--cert',
      s.cert,
      '--listen',
      '127.0.0.1:0',
    ]);
    assert.equal((await echoTransfer(await dial(named.port), 10_000)).received, 10_000);
    await stop(named.p);

    // IPv6 on both sides: server on [::1], client listening on [::1].
    const s6 = await server(['--listen', '[::1]:0', '--forward', `127.0.0.1:${e.port}`]);
    assert.match(s6.share, /^steppe:\/\/obfs4@\[::1\]:\d+\?/);
    const c6 = await client(['--connect', s6.share, '--listen', '[::1]:0']);
    const r6 = await echoTransfer(await dial(c6.port, '::1'), 100_000);
    assert.equal(r6.receivedSha, r6.sentSha);
    await stop(c6.p);
    await stop(s6.p);
    await stop(s.p);
  },
);

test('--metrics on both sides reports the traffic', { timeout: 60_000 }, async () => {
  const e = await echo();
  const s = await server(['--forward', `127.0.0.1:${e.port}`, '--metrics', '127.0.0.1:0']);
  const c = await client([
    '--connect',
    s.share,
    '--listen',
    '127.0.0.1:0',
    '--metrics',
    '127.0.0.1:0',
  ]);
  await echoTransfer(await dial(c.port), 123_456);
  const scrape = async (p: SteppeProcess): Promise<string> => {
    const line = await p.waitForLine(/^metrics: http:/);
    const url = /(http:\S+)/.exec(line)?.[1] ?? '';
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };
  // The counters are updated when a connection closes or, for bytes, while it is open.
  await waitFor(async () =>
    /steppe_connections_total\{[^}]*role="client"[^}]*\} [1-9]/.test(await scrape(c.p)),
  );
  const cm = await scrape(c.p);
  assert.match(cm, /steppe_bytes_total\{direction="up",transport="obfs4",role="client"\} 123456\b/);
  assert.match(
    cm,
    /steppe_bytes_total\{direction="down",transport="obfs4",role="client"\} 123456\b/,
  );
  // The startup check and the connection: two handshakes.
  assert.match(cm, /steppe_handshakes_total\{result="ok",transport="obfs4",role="client"\} 2\b/);
  assert.match(cm, /process_resident_memory_bytes/);
  const sm = await scrape(s.p);
  assert.match(sm, /steppe_handshakes_total\{result="ok",transport="obfs4",role="server"\} 2\b/);
  assert.match(sm, /steppe_connections_open\{transport="obfs4",role="server"\} 0\b/);
  await stop(c.p);
  await stop(s.p);
});

test(
  'keygen and bridgeline: the same identity the server then uses',
  { timeout: 60_000 },
  async () => {
    const dir = await tempDir();
    const k = await runToExit(['keygen', '--state', dir, '--public-address', '127.0.0.1:5555']);
    assert.equal(k.code, 0, k.stderr);
    const [bl, share] = k.stdout.split('\n');
    assert.match(bl ?? '', /^Bridge obfs4 127\.0\.0\.1:5555 cert=\S{70} iat-mode=0$/);
    assert.match(share ?? '', /^steppe:\/\/obfs4@127\.0\.0\.1:5555\?cert=/);
    const state = JSON.parse(await readFile(join(dir, 'obfs4_state.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(state), [
      'node-id',
      'private-key',
      'public-key',
      'drbg-seed',
      'iat-mode',
    ]);

    const again = await runToExit(['keygen', '--state', dir]);
    assert.equal(again.code, 2);
    assert.match(
      again.stderr,
      /already holds an identity \(obfs4_bridgeline\.txt, obfs4_state\.json\); keep it, or pass --force/,
    );

    const b = await runToExit(['bridgeline', '--state', dir, '--public-address', '127.0.0.1:5555']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.stdout, k.stdout);
    const plain = await runToExit(['bridgeline', '--state', dir, '--fingerprint', 'ab'.repeat(20)]);
    assert.match(
      plain.stdout,
      new RegExp(`^Bridge obfs4 <IP ADDRESS>:<PORT> ${'AB'.repeat(20)} cert=`),
    );
    assert.equal(plain.stdout.split('\n').length, 1);

    const s = await startSteppeServer(['--state', dir, '--forward', '127.0.0.1:9']);
    cleanups.push(() => s.p.stop());
    assert.equal(s.cert, /cert=(\S+)/.exec(bl ?? '')?.[1]);
    await stop(s.p);

    const forced = await runToExit(['keygen', '--state', dir, '--force', '--iat-mode', '2']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^Bridge obfs4 <IP ADDRESS>:<PORT> cert=\S{70} iat-mode=2$/);
    assert.notEqual(/cert=(\S+)/.exec(forced.stdout)?.[1], s.cert);

    const empty = await tempDir();
    const none = await runToExit(['bridgeline', '--state', empty]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /holds no obfs4 identity; create one with "steppe keygen --state /);
  },
);

test(
  'config files (TOML server, JSON client) instead of flags; flags override',
  { timeout: 60_000 },
  async () => {
    const e = await echo();
    const dir = await tempDir();
    const serverToml = join(dir, 'server.toml');
    await writeFile(
      serverToml,
      `# steppe server config\nlisten = "127.0.0.1:0"\nforward = "127.0.0.1:${e.port}"\nstate = "${join(dir, 'state')}"\n[options]\niat-mode = 1\n`,
    );
    const s = await startSteppeServer(['--config', serverToml]);
    cleanups.push(() => s.p.stop());
    assert.match(s.bridgeLine, /iat-mode=1$/);
    const clientJson = join(dir, 'client.json');
    await writeFile(
      clientJson,
      JSON.stringify({ connect: s.share, listen: '127.0.0.1:1', 'check-timeout': 10 }),
    );
    const c = await client(['--config', clientJson, '--listen', '127.0.0.1:0']);
    const r = await echoTransfer(await dial(c.port), 50_000);
    assert.equal(r.receivedSha, r.sentSha);
    await stop(c.p);
    await stop(s.p);
  },
);

/** SOCKS5 CONNECT through the front, then an echo transfer on the same socket. */
async function socksTransfer(
  front: number,
  host: string,
  port: number,
  size: number,
): Promise<Awaited<ReturnType<typeof echoTransfer>>> {
  const sock = await socks5(front, host, port);
  const done = echoTransfer(sock, size);
  sock.resume(); // the SOCKS client left it paused; the transfer's listener is attached now
  return done;
}

test(
  "obfsproxy's socks and ext_server modes: --pt-socks and --ext-cookie-file",
  { timeout: 60_000 },
  async () => {
    // ext_server: the target is tor's Extended ORPort (a fake one that echoes after OKAY).
    const dir = await tempDir();
    const cookieFile = join(dir, 'extended_orport_auth_cookie');
    await writeCookieFile(cookieFile);
    const orport = await startFakeExtOrPort({ cookieFile });
    cleanups.push(() => orport.close());
    const s = await server([
      '--forward',
      `127.0.0.1:${orport.port}`,
      '--ext-cookie-file',
      cookieFile,
    ]);
    // socks: a tor-style SOCKS listener; the request names the server, the username the args.
    const c = await client(['--pt-socks', '127.0.0.1:0']);
    const sock = await socks5Connect(
      c.port,
      { host: '127.0.0.1', port: s.port },
      `cert=${s.cert};iat-mode=0`,
    );
    const done = echoTransfer(sock, 300_000);
    sock.resume();
    const r = await done;
    assert.equal(r.receivedSha, r.sentSha);
    const session = orport.sessions.find((x) => x.authenticated);
    assert.equal(session?.transport, 'obfs4');
    assert.match(session?.userAddr ?? '', /^127\.0\.0\.1:\d+$/);
    // Bad args in the SOCKS username fail that request only.
    await assert.rejects(
      socks5Connect(c.port, { host: '127.0.0.1', port: s.port }, 'cert=short;iat-mode=0'),
    );
    await stop(c.p);
    await stop(s.p);
  },
);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
