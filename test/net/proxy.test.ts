import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectTcp, formatProxy, parseProxyUri, sourceAddressFor } from '../../src/net/proxy.js';
import { UpstreamProxyError } from '../../src/net/upstream-socks5.js';
import { PtError } from '../../src/errors.js';
import { closedPort, echoServer, listenLocal, readN } from './support/loopback.js';
import { startHttpConnectProxy, startSocksProxy } from './support/proxies.js';

test('parseProxyUri accepts the forms tor writes into TOR_PT_PROXY', () => {
  const good: Array<[string, object]> = [
    ['socks5://127.0.0.1:1080', { scheme: 'socks5', host: '127.0.0.1', port: 1080 }],
    ['SOCKS5://127.0.0.1:1080', { scheme: 'socks5', host: '127.0.0.1', port: 1080 }],
    [
      'socks5://user:pass@[::1]:1080',
      { scheme: 'socks5', host: '::1', port: 1080, username: 'user', password: 'pass' },
    ],
    [
      'socks5://us%40er:p%3Ass@1.2.3.4:9',
      { scheme: 'socks5', host: '1.2.3.4', port: 9, username: 'us@er', password: 'p:ss' },
    ],
    ['socks4a://1.2.3.4:1080', { scheme: 'socks4a', host: '1.2.3.4', port: 1080 }],
    [
      'socks4a://someone@1.2.3.4:1080',
      { scheme: 'socks4a', host: '1.2.3.4', port: 1080, username: 'someone' },
    ],
    ['http://10.0.0.1:3128', { scheme: 'http', host: '10.0.0.1', port: 3128 }],
    [
      'http://u:p@10.0.0.1:3128',
      { scheme: 'http', host: '10.0.0.1', port: 3128, username: 'u', password: 'p' },
    ],
  ];
  for (const [uri, want] of good) assert.deepEqual(parseProxyUri(uri), want, uri);
  // Host names are only acceptable when the caller allows them (not for TOR_PT_PROXY).
  assert.deepEqual(parseProxyUri('http://proxy.example:3128', { requireIpLiteral: false }), {
    scheme: 'http',
    host: 'proxy.example',
    port: 3128,
  });
});

test('parseProxyUri rejects what obfs4proxy rejects, saying what to fix', () => {
  const bad: Array<[string, RegExp]> = [
    ['127.0.0.1:1080', /relative, must be absolute.*socks5:\/\/127\.0\.0\.1:1080/],
    ['socks5://127.0.0.1:1080/', /has a path defined.*remove everything after the port/],
    ['socks5://127.0.0.1:1080?x=1', /has a query defined/],
    ['socks5://127.0.0.1:1080#frag', /has a fragment defined/],
    ['ftp://127.0.0.1:21', /invalid scheme: "ftp".*socks5, socks4a and http/],
    ['socks4a://user:secret@127.0.0.1:1080', /SOCKS4a and a password.*socks5/],
    ['socks5://user@127.0.0.1:1080', /invalid SOCKS5 password/],
    ['socks5://:pass@127.0.0.1:1080', /invalid SOCKS5 username/],
    [`socks5://${'u'.repeat(256)}:p@127.0.0.1:1080`, /invalid SOCKS5 username/],
    [
      'socks5://proxy.example:1080',
      /invalid host: not an IP string: "proxy.example".*by IP address/,
    ],
    ['socks5://127.0.0.1', /invalid host: .*missing port/],
    ['socks5://127.0.0.1:99999', /invalid host: .*above 65535/],
    ['socks5://us%zzer:pw@127.0.0.1:1080', /badly percent-encoded user name/],
  ];
  for (const [uri, re] of bad) {
    assert.throws(
      () => parseProxyUri(uri),
      (e: unknown) => e instanceof PtError && e.code === 'ERR_PROXY' && re.test(e.message),
      uri,
    );
  }
});

test('formatProxy hides the password', () => {
  assert.equal(
    formatProxy(parseProxyUri('socks5://u:secret@127.0.0.1:1')),
    'socks5://u:***@127.0.0.1:1',
  );
});

test('sourceAddressFor honours TOR_PT_OUTBOUND_BIND_ADDRESS_* except for loopback', () => {
  const bind = { v4: '203.0.113.4', v6: '2001:db8::4' };
  assert.equal(sourceAddressFor('198.51.100.1', bind), '203.0.113.4');
  assert.equal(sourceAddressFor('2001:db8::99', bind), '2001:db8::4');
  assert.equal(sourceAddressFor('127.0.0.1', bind), undefined);
  assert.equal(sourceAddressFor('::1', bind), undefined);
  assert.equal(sourceAddressFor('198.51.100.1', { v6: '2001:db8::4' }), undefined);
  assert.equal(sourceAddressFor('198.51.100.1', undefined), undefined);
});

async function echoThrough(opts: Parameters<typeof connectTcp>[1], port: number): Promise<void> {
  const s = await connectTcp({ host: '127.0.0.1', port }, opts);
  s.write('ping');
  assert.equal((await readN(s, 4)).toString(), 'ping');
  s.destroy();
}

test('connectTcp connects directly, with an explicit source address', async () => {
  const echo = await echoServer();
  await echoThrough({}, echo.port);
  await echoThrough({ localAddress: '127.0.0.2' }, echo.port);
  // Loopback destinations ignore the outbound bind address (pt-spec).
  await echoThrough({ outboundBind: { v4: '127.0.0.3' } }, echo.port);
  assert.deepEqual(echo.peers, ['127.0.0.1', '127.0.0.2', '127.0.0.1']);
  await echo.close();
});

test('connectTcp tunnels through SOCKS5 (with and without auth), SOCKS4a and HTTP CONNECT', async () => {
  const echo = await echoServer();
  const s5 = await startSocksProxy();
  const s5auth = await startSocksProxy({ auth: { username: 'alice', password: 'wonder' } });
  const http = await startHttpConnectProxy();
  const httpAuth = await startHttpConnectProxy({ auth: { username: 'bob', password: 'builder' } });
  await echoThrough({ proxy: parseProxyUri(`socks5://127.0.0.1:${s5.port}`) }, echo.port);
  await echoThrough(
    { proxy: parseProxyUri(`socks5://alice:wonder@127.0.0.1:${s5auth.port}`) },
    echo.port,
  );
  await echoThrough({ proxy: parseProxyUri(`socks4a://127.0.0.1:${s5.port}`) }, echo.port);
  await echoThrough({ proxy: parseProxyUri(`http://127.0.0.1:${http.port}`) }, echo.port);
  await echoThrough(
    { proxy: parseProxyUri(`http://bob:builder@127.0.0.1:${httpAuth.port}`) },
    echo.port,
  );
  // Host names travel to the proxy unresolved (SOCKS5 ATYP 3, SOCKS4a, CONNECT host).
  const byName = await connectTcp(
    { host: 'localhost', port: echo.port },
    { proxy: parseProxyUri(`socks4a://127.0.0.1:${s5.port}`) },
  );
  byName.destroy();
  assert.deepEqual(s5.targets, [
    `127.0.0.1:${echo.port}`,
    `127.0.0.1:${echo.port}`,
    `localhost:${echo.port}`,
  ]);
  assert.deepEqual(http.targets, [`127.0.0.1:${echo.port}`]);
  for (const p of [s5, s5auth, http, httpAuth]) await p.close();
  await echo.close();
});

test('connectTcp reports failures with the right code and the SOCKS reply to relay', async () => {
  const dead = await closedPort();
  await assert.rejects(connectTcp({ host: '127.0.0.1', port: dead }), (e: unknown) => {
    assert.ok(e instanceof PtError);
    assert.equal(e.code, 'ERR_CONNECT');
    assert.equal((e.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    return true;
  });
  // The proxy itself is down.
  await assert.rejects(
    connectTcp(
      { host: '127.0.0.1', port: 1 },
      { proxy: parseProxyUri(`socks5://127.0.0.1:${dead}`) },
    ),
    (e: unknown) =>
      e instanceof PtError &&
      e.code === 'ERR_PROXY' &&
      /cannot reach the upstream proxy/.test(e.message),
  );
  // The proxy is up but the target refuses: the proxy's reply code comes back.
  const s5 = await startSocksProxy({ auth: { username: 'alice', password: 'wonder' } });
  await assert.rejects(
    connectTcp(
      { host: '127.0.0.1', port: dead },
      { proxy: parseProxyUri(`socks5://alice:wonder@127.0.0.1:${s5.port}`) },
    ),
    (e: unknown) =>
      e instanceof UpstreamProxyError && e.socksReply === 5 && /connection refused/.test(e.message),
  );
  await assert.rejects(
    connectTcp(
      { host: '127.0.0.1', port: dead },
      { proxy: parseProxyUri(`socks5://alice:wrong@127.0.0.1:${s5.port}`) },
    ),
    (e: unknown) => e instanceof UpstreamProxyError && e.socksReply === 2,
  );
  await assert.rejects(
    connectTcp(
      { host: '127.0.0.1', port: dead },
      { proxy: parseProxyUri(`socks5://127.0.0.1:${s5.port}`) },
    ),
    (e: unknown) =>
      e instanceof PtError && /accepts none of our authentication methods/.test(e.message),
  );
  const http = await startHttpConnectProxy({ auth: { username: 'bob', password: 'builder' } });
  await assert.rejects(
    connectTcp(
      { host: '127.0.0.1', port: dead },
      { proxy: parseProxyUri(`http://127.0.0.1:${http.port}`) },
    ),
    (e: unknown) =>
      e instanceof UpstreamProxyError && /407.*user name and password/.test(e.message),
  );
  await assert.rejects(
    connectTcp(
      { host: '::1', port: 80 },
      { proxy: parseProxyUri(`socks4a://127.0.0.1:${s5.port}`) },
    ),
    (e: unknown) =>
      e instanceof UpstreamProxyError && /cannot connect to the IPv6 address/.test(e.message),
  );
  await s5.close();
  await http.close();
});

test('connectTcp gives up on a silent proxy within its timeout', async () => {
  const silent = await listenLocal(() => undefined);
  const t0 = Date.now();
  await assert.rejects(
    connectTcp(
      { host: '127.0.0.1', port: 9 },
      { proxy: parseProxyUri(`socks5://127.0.0.1:${silent.port}`), timeoutMs: 300 },
    ),
    (e: unknown) => e instanceof PtError && /timed out/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 3000);
  const ac = new AbortController();
  const p = connectTcp(
    { host: '127.0.0.1', port: 9 },
    { proxy: parseProxyUri(`socks5://127.0.0.1:${silent.port}`), signal: ac.signal },
  );
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, (e: unknown) => e instanceof PtError && e.code === 'ERR_ABORTED');
  await silent.close();
});
