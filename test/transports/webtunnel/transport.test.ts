// webtunnel in-process: steppe's client against steppe's server terminating TLS itself with a
// test CA. The client errors (HTTP error, redirect, non-101, wrong pin, expired and wrong-host
// certificates), pinning before any byte of the upgrade, and the server's answers to bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { HandshakeError, PtError } from '../../../src/errors.js';
import { webtunnel } from '../../../src/transports/webtunnel/index.js';
import { chainHash } from '../../../src/transports/webtunnel/pin.js';
import { echoTransfer } from '../../_support/transfer.js';
import {
  COVER_HTML,
  echoBridge,
  HOST,
  makeCoverDir,
  makePki,
  probe,
  SECRET,
  type EchoBridge,
  type TestPki,
} from './support.js';

let pki: TestPki;
let cover: { dir: string; cleanup(): void };
let bridge: EchoBridge;
let caPem: string;
const url = `https://${HOST}${SECRET}`;

before(async () => {
  pki = await makePki();
  cover = makeCoverDir();
  caPem = pki.ca.certPem;
  bridge = await echoBridge({
    tlsCert: pki.file('chain.pem'),
    tlsKey: pki.file('leaf.key'),
    cover: cover.dir,
    headerTimeoutMs: 1_500,
  });
});
after(async () => {
  await bridge.close();
  pki.cleanup();
  cover.cleanup();
});

const addr = (): string => `127.0.0.1:${bridge.port}`;

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PtError, `a PtError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('client and server move 4 MiB both ways, hash-checked', async () => {
  const s = await webtunnel.dial({ url, addr: addr(), allowPrivate: true, ca: caPem });
  const r = await echoTransfer(s, 4 * 1024 * 1024);
  assert.equal(r.receivedSha, r.sentSha);
});

test('the cert= pin (lyrebird chain hash) admits the chain without any CA', async () => {
  const pin = chainHash([pki.leaf.der, pki.ca.der]).toString('base64');
  const s = await webtunnel.dial({ url, addr: addr(), allowPrivate: true, cert: pin });
  const r = await echoTransfer(s, 64 * 1024);
  assert.equal(r.receivedSha, r.sentSha);
});

test('the pin covers exactly the certificates sent, not issuers Node adds from its store', async () => {
  const leafOnly = await echoBridge({
    tlsCert: pki.file('leaf.pem'),
    tlsKey: pki.file('leaf.key'),
  });
  try {
    const pin = chainHash([pki.leaf.der]).toString('base64');
    // The CA is trusted here, so an unpinned walk would append it; the pin must still match.
    const s = await webtunnel.dial({
      url,
      addr: `127.0.0.1:${leafOnly.port}`,
      allowPrivate: true,
      cert: pin,
      ca: caPem,
    });
    s.destroy();
  } finally {
    await leafOnly.close();
  }
});

test('a wrong pin is refused before a byte of the upgrade is sent, naming interception', async () => {
  const before = bridge.failures.length;
  const tunnels = bridge.tunnels;
  const wrong = chainHash([pki.leaf.der]).toString('base64');
  await rejects(
    webtunnel.dial({ url, addr: addr(), allowPrivate: true, cert: wrong, ca: caPem }),
    'ERR_TLS_PIN',
    /does not match the bridge's cert= pin: the connection is being intercepted .*nothing was sent/,
  );
  // Bounded wait for the server to notice the close.
  for (let i = 0; i < 50 && bridge.failures.length === before; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = bridge.failures.slice(before);
  assert.ok(seen.length >= 1);
  // The server saw a TLS connection that closed before any HTTP request.
  for (const f of seen) assert.equal(f.code, 'ERR_HANDSHAKE_EOF', f.message);
  assert.equal(bridge.tunnels, tunnels);
});

test('an untrusted certificate, an expired one and a wrong-host one: one clear error each', async () => {
  await rejects(
    webtunnel.dial({ url, addr: addr(), allowPrivate: true }),
    'ERR_TLS_CERT',
    /not signed by a CA this computer trusts/,
  );
  await rejects(
    webtunnel.dial({
      url: `https://elsewhere.example${SECRET}`,
      addr: addr(),
      ca: caPem,
      allowPrivate: true,
    }),
    'ERR_TLS_CERT',
    /not valid for elsewhere\.example/,
  );
  const expired = await echoBridge({
    tlsCert: pki.file('expired.pem'),
    tlsKey: pki.file('expired.key'),
  });
  try {
    await rejects(
      webtunnel.dial({ url, addr: `127.0.0.1:${expired.port}`, ca: caPem, allowPrivate: true }),
      'ERR_TLS_CERT',
      /has expired/,
    );
  } finally {
    await expired.close();
  }
});

test('HTTP error, redirect and a non-101 answer: one clear error each', async () => {
  await rejects(
    webtunnel.dial({
      url: `https://${HOST}/not-the-secret`,
      addr: addr(),
      ca: caPem,
      allowPrivate: true,
    }),
    'ERR_HTTP_UPGRADE',
    /HTTP error 404 Not Found/,
  );
  // The cover site serves index.html: 200 instead of 101.
  await rejects(
    webtunnel.dial({
      url: `https://${HOST}/index.html`,
      addr: addr(),
      ca: caPem,
      allowPrivate: true,
    }),
    'ERR_HTTP_UPGRADE',
    /answered 200 OK instead of 101/,
  );
  // A plain HTTP server that redirects everything to https.
  const redirector = createServer((s) => {
    s.once('data', () =>
      s.end(
        'HTTP/1.1 301 Moved Permanently\r\nLocation: https://example.org/\r\nContent-Length: 0\r\n\r\n',
      ),
    );
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  try {
    const port = (redirector.address() as AddressInfo).port;
    await rejects(
      webtunnel.dial({
        url: `http://${HOST}${SECRET}`,
        addr: `127.0.0.1:${port}`,
        allowPrivate: true,
      }),
      'ERR_HTTP_UPGRADE',
      /redirect \(301 Moved Permanently to "https:\/\/example.org\/"\)/,
    );
  } finally {
    redirector.close();
  }
});

test('bad arguments fail before connecting, naming the argument', () => {
  const f = webtunnel.transport.createClient();
  assert.throws(() => f.parseArgs(new Map()), /missing url=/);
  assert.throws(() => f.parseArgs(new Map([['url', ['ftp://x/y']]])), /https:\/\/ or http:\/\//);
  assert.throws(
    () =>
      f.parseArgs(
        new Map([
          ['url', [url]],
          ['cert', ['abc']],
        ]),
      ),
    /cert= must be the base64 SHA-256/,
  );
});

const tls = (): { ca: string; servername: string } => ({ ca: caPem, servername: HOST });

test('server: an ordinary request gets the cover site, never a 101', async () => {
  const a = await probe(
    bridge.port,
    [`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`],
    {
      tls: tls(),
    },
  );
  const text = a.bytes.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(text.endsWith(COVER_HTML));
  // The secret path with a wrong Upgrade is just a request for a file that is not there.
  const b = await probe(
    bridge.port,
    [`GET ${SECRET} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: upgrade\r\nUpgrade: h2c\r\n\r\n`],
    { tls: tls(), limitMs: 1_000 },
  );
  assert.match(
    b.bytes.toString('latin1'),
    /^HTTP\/1\.1 404 Not Found\r\n[^]*<center>nginx<\/center>/,
  );
});

test('server: garbage and an over-long head get a 400, like nginx', async () => {
  const g = await probe(bridge.port, [Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a])], {
    tls: tls(),
  });
  assert.match(g.bytes.toString('latin1'), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(g.ended, 'closed');
  const big = `GET ${SECRET} HTTP/1.1\r\nHost: ${HOST}\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`;
  const l = await probe(bridge.port, [big], { tls: tls() });
  assert.match(
    l.bytes.toString('latin1'),
    /^HTTP\/1\.1 400 Request Header Or Cookie Too Large\r\n/,
  );
});

test('server: a slow header trickle is closed at the header timeout with nothing sent', async () => {
  const head = `GET ${SECRET} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n`;
  const a = await probe(bridge.port, head.slice(0, 40).split(''), {
    gapMs: 100,
    limitMs: 8_000,
    tls: tls(),
  });
  assert.equal(a.ended, 'closed');
  assert.equal(a.bytes.length, 0);
  assert.ok(
    bridge.failures.some((f) => f instanceof HandshakeError && f.code === 'ERR_HANDSHAKE_TIMEOUT'),
  );
});

test('server: the tunnel takes its client from the first X-Forwarded-For entry', async () => {
  const n = bridge.tunnels;
  const head =
    `GET ${SECRET} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: upgrade\r\nUpgrade: websocket\r\n` +
    'X-Forwarded-For: 198.51.100.7, 10.0.0.1\r\n\r\nping';
  const a = await probe(bridge.port, [head], { tls: tls(), limitMs: 1_000 });
  assert.equal(
    a.bytes.toString('latin1'),
    'HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nping',
  );
  assert.equal(bridge.tunnels, n + 1);
  assert.equal(bridge.forwarded.at(-1), '198.51.100.7');
});

test('the server answers http/1.1 to a browser-like ALPN offer', async () => {
  const alpn = await new Promise<string | false | null>((resolve, reject) => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: bridge.port,
      ca: caPem,
      servername: HOST,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    s.once('secureConnect', () => {
      resolve(s.alpnProtocol);
      s.destroy();
    });
    s.once('error', reject);
  });
  assert.equal(alpn, 'http/1.1');
  assert.ok(readFileSync(pki.file('ca.pem'), 'utf8').includes('BEGIN CERTIFICATE'));
});
