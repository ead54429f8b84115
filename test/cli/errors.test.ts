// Bad input to the standalone commands: every case ends with exactly one line on stderr that
// says what is wrong, nothing on stdout, no stack trace, and a non-zero exit status (2 for a
// usage or configuration mistake, 1 for a failure of the network or the environment).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, startSteppeServer, type SteppeServer } from './support/steppe.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'steppe-cli-err-'));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { port: (server.address() as AddressInfo).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await holdPort();
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs steppe and checks the one-line failure. */
async function expectFailure(
  args: string[],
  status: 1 | 2,
  re: RegExp,
  timeoutMs = 30_000,
): Promise<string> {
  const r = await runToExit(args, timeoutMs);
  const what = `steppe ${args.join(' ')}`;
  assert.equal(r.code, status, `${what}: exit ${r.code}\nstderr: ${r.stderr}`);
  assert.equal(r.stdout, '', `${what}: wrote to stdout: ${r.stdout}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: not one line:\n${r.stderr}`);
  const line = lines[0] ?? '';
  assert.match(line, new RegExp(`^steppe ${args[0] ?? ''}: `), what);
  assert.doesNotMatch(line, /\s+at \S+ \(|node:internal|unexpected error/, what);
  assert.match(line, re, what);
  return line;
}

let server: SteppeServer;
let otherCert: string;

test('setup: a running server and the cert of another identity', { timeout: 30_000 }, async () => {
  server = await startSteppeServer(['--state', await tempDir(), '--forward', '127.0.0.1:9']);
  cleanups.push(() => server.p.stop());
  const k = await runToExit(['keygen', '--state', await tempDir()]);
  otherCert = /cert=(\S+)/.exec(k.stdout)?.[1] ?? '';
  assert.equal(otherCert.length, 70);
});

test('a wrong cert', { timeout: 30_000 }, async () => {
  await expectFailure(
    [
      'client',
      '--server',
      `127.0.0.1:${server.port}`,
      '--cert',
      otherCert,
      '--listen',
      '127.0.0.1:0',
      '--check-timeout',
      '3',
    ],
    1,
    /the server 127\.0\.0\.1:\d+ accepted the connection but did not answer the obfs4 handshake within 3 s: the cert is probably wrong/,
  );
  // The same through a share string.
  const share = server.share.replace(
    server.cert.replace(/\+/g, '%2B'),
    otherCert.replace(/\+/g, '%2B'),
  );
  assert.notEqual(share, server.share);
  await expectFailure(
    ['client', '--connect', share, '--socks', '127.0.0.1:0', '--check-timeout', '2'],
    1,
    /did not answer the obfs4 handshake within 2 s/,
  );
});

test('an unreachable server, and an unreachable upstream proxy', { timeout: 30_000 }, async () => {
  const closed = await freePort();
  await expectFailure(
    ['client', '--server', `127.0.0.1:${closed}`, '--cert', otherCert, '--listen', '127.0.0.1:0'],
    1,
    new RegExp(`cannot reach the server 127\\.0\\.0\\.1:${closed}: connection refused`),
  );
  await expectFailure(
    ['client', '--server', `no-such-host.invalid:443`, '--cert', otherCert, '--listen', '0'],
    1,
    /cannot reach the server no-such-host\.invalid:443: the host name does not resolve/,
  );
  await expectFailure(
    [
      'client',
      '--connect',
      server.share,
      '--listen',
      '0',
      '--proxy',
      `socks5://127.0.0.1:${closed}`,
    ],
    1,
    new RegExp(`cannot reach the upstream proxy socks5://127\\.0\\.0\\.1:${closed} \\(--proxy\\)`),
  );
});

test('a port in use', { timeout: 30_000 }, async () => {
  const { port } = await holdPort();
  const inUse = new RegExp(
    `cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`,
  );
  await expectFailure(
    ['client', '--connect', server.share, '--listen', `127.0.0.1:${port}`],
    1,
    inUse,
  );
  await expectFailure(
    ['client', '--connect', server.share, '--socks', `127.0.0.1:${port}`],
    1,
    inUse,
  );
  await expectFailure(
    [
      'server',
      '--listen',
      `127.0.0.1:${port}`,
      '--forward',
      '127.0.0.1:9',
      '--state',
      await tempDir(),
    ],
    1,
    inUse,
  );
  await expectFailure(
    ['client', '--connect', server.share, '--listen', '0', '--metrics', `127.0.0.1:${port}`],
    1,
    new RegExp(`${inUse.source}.*\\(--metrics\\)`),
  );
  await expectFailure(
    ['client', '--connect', server.share, '--listen', '0', '--metrics', '0.0.0.0:0'],
    2,
    /--metrics: the metrics address 0\.0\.0\.0:0 is not loopback; .* needs --metrics-public/,
  );
});

test('a malformed share string', async () => {
  const cases: Array<[string, RegExp]> = [
    [
      'obfs4@127.0.0.1:1?cert=x',
      /--connect|invalid share string: it must start with "steppe:\/\/"/,
    ],
    [
      'steppe://obfs4@127.0.0.1?cert=x&iat-mode=0',
      /invalid share string: bad server address: "127\.0\.0\.1": missing port/,
    ],
    [
      'steppe://obfs4@127.0.0.1:1?cert=abc&iat-mode=0',
      /invalid obfs4 cert: it has 3 characters, a cert has 70/,
    ],
    ['steppe://obfs4@127.0.0.1:1?iat-mode=0', /missing cert/],
    ['steppe://meek@127.0.0.1:1?url=x', /unknown transport "meek"; steppe has obfs4/],
    [
      'steppe://obfs4@127.0.0.1:1?cert=%E0%A4%A&iat-mode=0',
      /argument "cert" has a broken %-escape/,
    ],
  ];
  for (const [share, re] of cases) {
    await expectFailure(['client', '--connect', share, '--listen', '0'], 2, re);
  }
});

test('a malformed config file', async () => {
  const dir = await tempDir();
  const cases: Array<[string, string, RegExp]> = [
    [
      'a.json',
      '{"listen": "0.0.0.0:1", }',
      /config .*a\.json: not valid JSON at line 1, column \d+/,
    ],
    ['b.toml', 'listen = 0.0.0.0:1\n', /config .*b\.toml: not valid TOML at line 1, column \d+/],
    [
      'c.toml',
      'listen = "127.0.0.1:0"\nfoward = "127.0.0.1:9"\n',
      /unknown field "foward" \(did you mean "forward"\?\)/,
    ],
    [
      'd.json',
      '{"listen": 443, "forward": "socks"}',
      /field "listen" must be a string, e\.g\. listen = "0\.0\.0\.0:443"; got an integer/,
    ],
    [
      'e.toml',
      'listen = "127.0.0.1:0"\nforward = "localhost"\n',
      /config .*e\.toml: field "forward": "localhost": missing port/,
    ],
    [
      'f.toml',
      'listen = "127.0.0.1:0"\nforward = "socks"\nproxy-protocol = "yes"\n',
      /field "proxy-protocol" must be a boolean/,
    ],
  ];
  for (const [name, text, re] of cases) {
    const file = join(dir, name);
    await writeFile(file, text);
    await expectFailure(['server', '--config', file, '--state', dir], 2, re);
  }
  await expectFailure(
    ['server', '--config', join(dir, 'missing.toml')],
    2,
    /cannot read it: no such file/,
  );
  const cfile = join(dir, 'client.json');
  await writeFile(cfile, JSON.stringify({ connect: 'steppe://obfs4@x', listen: '0' }));
  await expectFailure(
    ['client', '--config', cfile],
    2,
    /config .*client\.json: field "connect": invalid share string/,
  );
});

test('other usage mistakes', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['server', '--forward', '127.0.0.1:9'], /--listen is required/],
    [['server', '--listen', '0'], /--forward is required/],
    [
      ['server', '--listen', '0', '--forward', 'socks', '--proxy-protocol'],
      /--proxy-protocol needs a fixed --forward/,
    ],
    [
      ['server', '--listen', '0', '--forward', '1.2.3.4:5', '--iat-mode', '3'],
      /--iat-mode: must be 0, 1 or 2/,
    ],
    [
      ['server', '--listen', '0', '--forward', 'x', '--transport', 'obfs9'],
      /unknown transport "obfs9"; steppe has obfs4/,
    ],
    [['server', '--lisen', '0'], /unknown option '--lisen' \(Did you mean --listen\?\)/],
    [['client', '--connect', 'steppe://obfs4@h:1?cert=x'], /give --listen ADDR/],
    [
      ['client', '--listen', '0', '--socks', '0', '--server', 'h:1'],
      /--listen and --socks exclude each other/,
    ],
    [
      ['client', '--listen', '0'],
      /no server: give --connect SHARE-STRING, or --server HOST:PORT with --cert CERT/,
    ],
    [
      ['client', '--listen', '0', '--server', 'h:1', '--cert', 'short'],
      /invalid obfs4 cert: it has 5 characters/,
    ],
    [
      ['client', '--listen', '0', '--server', 'h:1', '--cert', 'A'.repeat(70), '--iat-mode', '7'],
      /invalid iat-mode "7"/,
    ],
    [
      ['client', '--listen', '0', '--server', 'h', '--cert', 'A'.repeat(70)],
      /--server: "h": missing port/,
    ],
    [
      [
        'client',
        '--listen',
        '0',
        '--server',
        'h:1',
        '--cert',
        'A'.repeat(70),
        '--proxy',
        'ftp://x:1',
      ],
      /--proxy: proxy URI has invalid scheme: "ftp"/,
    ],
    [
      ['client', '--pt-socks', '0', '--server', 'h:1'],
      /--pt-socks takes the server and its args from each SOCKS request; drop --server/,
    ],
    [
      [
        'client',
        '--listen',
        '0',
        '--server',
        'h:1',
        '--cert',
        'A'.repeat(70),
        '--check-timeout',
        'soon',
      ],
      /--check-timeout: "soon" is not a number \(expected 0\.1 to 600\)/,
    ],
    [
      [
        'client',
        '--listen',
        '0',
        '--server',
        'h:1',
        '--cert',
        'A'.repeat(70),
        '--check-timeout',
        '-5',
      ],
      /--check-timeout: must be from 0\.1 to 600, got -5/,
    ],
    [
      [
        'client',
        '--listen',
        '0',
        '--server',
        'h:1',
        '--cert',
        'A'.repeat(70),
        '--log-level',
        'loud',
      ],
      /--log-level: invalid log level "loud"/,
    ],
    [['keygen', '--public-address', 'h'], /--public-address: give the port too/],
    [['bridgeline', '--fingerprint', 'xyz'], /--fingerprint: a relay fingerprint is 40 hex digits/],
  ];
  for (const [args, re] of cases) await expectFailure(args, 2, re);
});

test('a damaged identity file', async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'obfs4_state.json'), '{"node-id": "zz"}');
  await expectFailure(
    ['server', '--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--state', dir],
    1,
    /obfs4_state\.json lacks "private-key"/,
  );
  await expectFailure(
    ['bridgeline', '--state', dir],
    1,
    new RegExp(`${dir}/obfs4_state\\.json lacks "private-key"`),
  );
});

test('startup checks: a missing or foreign ExtORPort cookie file, a key pair that does not match', async () => {
  const dir = await tempDir();
  const base = ['server', '--listen', '127.0.0.1:0', '--forward', '127.0.0.1:9', '--state', dir];
  await expectFailure(
    [...base, '--ext-cookie-file', '/nonexistent/cookie'],
    1,
    /--ext-cookie-file "\/nonexistent\/cookie": ENOENT/,
  );
  const notCookie = join(dir, 'not-a-cookie');
  await writeFile(notCookie, 'x'.repeat(64));
  await expectFailure(
    [...base, '--ext-cookie-file', notCookie],
    1,
    /--ext-cookie-file ".*not-a-cookie": the auth cookie file lacks the "! Extended ORPort Auth Cookie !" header/,
  );
  // A state file whose public key is not the private key's: it would publish a wrong cert.
  const good = await runToExit(['keygen', '--state', dir]);
  assert.equal(good.code, 0, good.stderr);
  const path = join(dir, 'obfs4_state.json');
  const st = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  const pub = st['public-key']!;
  st['public-key'] = (pub[0] === '0' ? '1' : '0') + pub.slice(1);
  await writeFile(path, JSON.stringify(st));
  await expectFailure(base, 1, /obfs4_state\.json: "public-key" does not belong to "private-key"/);
});
