// Table tests for the managed-proxy environment: what parses, and which pt-spec line and
// message each misconfiguration produces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, stat, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureStateDir,
  ManagedProxyError,
  negotiateVersion,
  parseManagedEnv,
  parseProxyEnv,
  type Env,
} from '../../src/pt/env.js';

const CLIENT: Env = {
  TOR_PT_MANAGED_TRANSPORT_VER: '1',
  TOR_PT_STATE_LOCATION: '/var/lib/tor/pt_state/',
  TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
};
const SERVER: Env = {
  TOR_PT_MANAGED_TRANSPORT_VER: '1',
  TOR_PT_STATE_LOCATION: '/var/lib/tor/pt_state',
  TOR_PT_SERVER_TRANSPORTS: 'obfs4',
  TOR_PT_SERVER_BINDADDR: 'obfs4-0.0.0.0:443',
  TOR_PT_ORPORT: '127.0.0.1:9001',
};

test('a client environment as tor 0.4.9 sends it', () => {
  const cfg = parseManagedEnv({
    ...CLIENT,
    TOR_PT_EXIT_ON_STDIN_CLOSE: '1',
    TOR_PT_OUTBOUND_BIND_ADDRESS_V4: '127.0.0.1',
  });
  assert.deepEqual(cfg, {
    role: 'client',
    stateDir: '/var/lib/tor/pt_state',
    exitOnStdinClose: true,
    outboundBind: { v4: '127.0.0.1' },
    transports: ['obfs4'],
  });
  assert.deepEqual(
    parseManagedEnv({ ...CLIENT, TOR_PT_CLIENT_TRANSPORTS: 'obfs4,meek_lite,,obfs4' }).transports,
    ['obfs4', 'meek_lite'],
  );
  assert.equal(parseManagedEnv({ ...CLIENT, TOR_PT_MANAGED_TRANSPORT_VER: '2,1' }).role, 'client');
  assert.equal(
    parseManagedEnv({ ...CLIENT, TOR_PT_EXIT_ON_STDIN_CLOSE: '0' }).exitOnStdinClose,
    false,
  );
  assert.equal(
    parseManagedEnv({ ...CLIENT, TOR_PT_STATE_LOCATION: 'rel/dir' }, '/base').stateDir,
    '/base/rel/dir',
  );
  assert.deepEqual(
    parseManagedEnv({ ...CLIENT, TOR_PT_OUTBOUND_BIND_ADDRESS_V6: '[2001:db8::4]' }).outboundBind,
    { v6: '2001:db8::4' },
  );
});

test('a server environment as tor 0.4.9 sends it', () => {
  const cfg = parseManagedEnv({
    ...SERVER,
    TOR_PT_SERVER_TRANSPORTS: 'obfs4,obfs3',
    TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:5031,obfs3-[::1]:5032,scramblesuit-127.0.0.1:5033',
    TOR_PT_SERVER_TRANSPORT_OPTIONS: 'obfs4:iat-mode=1;obfs3:k=v\\;w',
    TOR_PT_EXTENDED_SERVER_PORT: '127.0.0.1:5030',
    TOR_PT_AUTH_COOKIE_FILE: '/var/lib/tor/extended_orport_auth_cookie',
  });
  assert.equal(cfg.role, 'server');
  if (cfg.role !== 'server') return;
  assert.deepEqual(cfg.transports, ['obfs4', 'obfs3']);
  // Filtered by TOR_PT_SERVER_TRANSPORTS, in BINDADDR order, with their options.
  assert.deepEqual(cfg.bindAddrs, [
    {
      transport: 'obfs4',
      addr: { host: '127.0.0.1', port: 5031 },
      options: new Map([['iat-mode', ['1']]]),
    },
    { transport: 'obfs3', addr: { host: '::1', port: 5032 }, options: new Map([['k', ['v;w']]]) },
  ]);
  assert.deepEqual(cfg.orPort, { host: '127.0.0.1', port: 9001 });
  assert.deepEqual(cfg.extOrPort, { host: '127.0.0.1', port: 5030 });
  assert.equal(cfg.authCookieFile, '/var/lib/tor/extended_orport_auth_cookie');
  // An empty TOR_PT_EXTENDED_SERVER_PORT means "none"; pre-#7011 unbracketed IPv6 is accepted.
  const plain = parseManagedEnv({
    ...SERVER,
    TOR_PT_EXTENDED_SERVER_PORT: '',
    TOR_PT_ORPORT: '1:2::3:4:9001',
  });
  assert.ok(plain.role === 'server' && plain.extOrPort === null);
  assert.ok(plain.role === 'server' && plain.orPort?.host === '1:2::3:4');
});

test('each misconfiguration gives the right keyword and a message that says what to fix', () => {
  const cases: Array<[string, Env, 'ENV-ERROR' | 'VERSION-ERROR', RegExp]> = [
    [
      'both roles',
      { ...CLIENT, TOR_PT_SERVER_TRANSPORTS: 'obfs4' },
      'ENV-ERROR',
      /TOR_PT_\[CLIENT,SERVER\]_TRANSPORTS both set/,
    ],
    [
      'no role',
      { TOR_PT_MANAGED_TRANSPORT_VER: '1', TOR_PT_STATE_LOCATION: '/x' },
      'ENV-ERROR',
      /neither TOR_PT_CLIENT_TRANSPORTS nor TOR_PT_SERVER_TRANSPORTS/,
    ],
    [
      'version',
      { ...CLIENT, TOR_PT_MANAGED_TRANSPORT_VER: '2,3' },
      'VERSION-ERROR',
      /offered .*"2,3".*version 1/,
    ],
    ['no state', { ...CLIENT, TOR_PT_STATE_LOCATION: '' }, 'ENV-ERROR', /no TOR_PT_STATE_LOCATION/],
    ['empty list', { ...CLIENT, TOR_PT_CLIENT_TRANSPORTS: ',' }, 'ENV-ERROR', /names no transport/],
    [
      'bind v4',
      { ...CLIENT, TOR_PT_OUTBOUND_BIND_ADDRESS_V4: '::1' },
      'ENV-ERROR',
      /V4 "::1" is not an IPv4 address/,
    ],
    [
      'bind v6',
      { ...CLIENT, TOR_PT_OUTBOUND_BIND_ADDRESS_V6: '1.2.3.4' },
      'ENV-ERROR',
      /V6 "1.2.3.4" is not an IPv6 address/,
    ],
    [
      'no bindaddr',
      { ...SERVER, TOR_PT_SERVER_BINDADDR: undefined },
      'ENV-ERROR',
      /no TOR_PT_SERVER_BINDADDR/,
    ],
    [
      'bindaddr dash',
      { ...SERVER, TOR_PT_SERVER_BINDADDR: 'obfs4127.0.0.1:1' },
      'ENV-ERROR',
      /doesn't contain "-".*<transport>-<ip>:<port>/,
    ],
    [
      'bindaddr dup',
      { ...SERVER, TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:1,obfs4-127.0.0.1:2' },
      'ENV-ERROR',
      /duplicate method name "obfs4"/,
    ],
    [
      'bindaddr host',
      { ...SERVER, TOR_PT_SERVER_BINDADDR: 'obfs4-example.com:1' },
      'ENV-ERROR',
      /not an IP string.*ServerTransportListenAddr/,
    ],
    [
      'bindaddr port',
      { ...SERVER, TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:x' },
      'ENV-ERROR',
      /not a number/,
    ],
    [
      'options',
      { ...SERVER, TOR_PT_SERVER_TRANSPORT_OPTIONS: 'obfs4iat-mode=1' },
      'ENV-ERROR',
      /TOR_PT_SERVER_TRANSPORT_OPTIONS.*no ":".*ServerTransportOptions/,
    ],
    [
      'orport',
      { ...SERVER, TOR_PT_ORPORT: 'localhost:9001' },
      'ENV-ERROR',
      /cannot resolve TOR_PT_ORPORT "localhost:9001"/,
    ],
    [
      'extorport',
      { ...SERVER, TOR_PT_EXTENDED_SERVER_PORT: '127.0.0.1', TOR_PT_AUTH_COOKIE_FILE: '/c' },
      'ENV-ERROR',
      /cannot resolve TOR_PT_EXTENDED_SERVER_PORT/,
    ],
    [
      'cookie',
      { ...SERVER, TOR_PT_EXTENDED_SERVER_PORT: '127.0.0.1:5' },
      'ENV-ERROR',
      /need TOR_PT_AUTH_COOKIE_FILE environment variable with TOR_PT_EXTENDED_SERVER_PORT/,
    ],
    [
      'no orport',
      { ...SERVER, TOR_PT_ORPORT: undefined },
      'ENV-ERROR',
      /need TOR_PT_ORPORT or TOR_PT_EXTENDED_SERVER_PORT/,
    ],
  ];
  for (const [name, env, keyword, re] of cases) {
    assert.throws(
      () => parseManagedEnv(env),
      (e: unknown) => {
        assert.ok(e instanceof ManagedProxyError, name);
        assert.equal(e.keyword, keyword, name);
        assert.match(e.message, re, name);
        assert.equal(e.code, 'ERR_ENV');
        return true;
      },
      name,
    );
  }
  assert.equal(negotiateVersion({ TOR_PT_MANAGED_TRANSPORT_VER: '1' }), '1');
});

test('TOR_PT_PROXY becomes a PROXY-ERROR with obfs4proxy-compatible wording', () => {
  assert.equal(parseProxyEnv(CLIENT), null);
  assert.deepEqual(parseProxyEnv({ TOR_PT_PROXY: 'socks5://127.0.0.1:9050' }), {
    scheme: 'socks5',
    host: '127.0.0.1',
    port: 9050,
  });
  const bad: Array<[string, RegExp]> = [
    ['socks4a://user:pw@127.0.0.1:1080', /^proxy URI specified SOCKS4a and a password/],
    [
      'socks5://proxy.example:1080',
      /^proxy URI has invalid host: not an IP string: "proxy.example"/,
    ],
    ['gopher://127.0.0.1:70', /^proxy URI has invalid scheme/],
    ['socks5://127.0.0.1:1080/path', /^proxy URI has a path defined/],
  ];
  for (const [uri, re] of bad) {
    assert.throws(
      () => parseProxyEnv({ TOR_PT_PROXY: uri }),
      (e: unknown) =>
        e instanceof ManagedProxyError && e.keyword === 'PROXY-ERROR' && re.test(e.message),
      uri,
    );
  }
});

test('ensureStateDir creates a missing directory 0700 and explains an unusable one', async () => {
  const base = await mkdtemp(join(tmpdir(), 'steppe-env-'));
  try {
    const dir = join(base, 'a', 'b');
    await ensureStateDir(dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    await ensureStateDir(dir); // idempotent
    const file = join(base, 'file');
    await writeFile(file, 'x');
    await assert.rejects(ensureStateDir(join(file, 'state')), (e: unknown) => {
      assert.ok(e instanceof ManagedProxyError && e.keyword === 'ENV-ERROR');
      assert.match(e.message, /cannot create the state directory: ENOTDIR.*a file is in the way/);
      return true;
    });
    await assert.rejects(ensureStateDir(file), /EEXIST.*a file is in the way/);
    if (process.getuid?.() !== 0) {
      const ro = join(base, 'ro');
      await ensureStateDir(ro);
      await chmod(ro, 0o500);
      await assert.rejects(
        ensureStateDir(join(ro, 'sub')),
        /EACCES.*writable by the user tor runs as/,
      );
    }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
