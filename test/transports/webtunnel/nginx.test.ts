// webtunnel through a real nginx (Debian's), as deployed: nginx terminates TLS with a test CA's
// certificate and serves the cover site; the README's `location` block (read from README.md)
// forwards the secret path to a steppe webtunnel server on plain HTTP. Checked: 64 MiB each way
// hash-checked, 200 concurrent tunnels, X-Forwarded-For reaching the server, what a prober
// gets from the same nginx, and headless chromium loading the cover page through it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { webtunnel } from '../../../src/transports/webtunnel/index.js';
import { chainHash } from '../../../src/transports/webtunnel/pin.js';
import { readmeNginxLocation } from './readme-nginx.js';
import { haveNginx, startNginx, type Nginx } from '../../_support/nginx.js';
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

const CI = process.env['CI'] === 'true';
const CHROMIUM = process.env['STEPPE_CHROMIUM'] ?? '/usr/bin/chromium';
const skip: string | false = haveNginx() ? false : CI ? false : '/usr/sbin/nginx is missing';

let pki: TestPki;
let cover: { dir: string; cleanup(): void };
let bridge: EchoBridge;
let nginx: Nginx;

before(async () => {
  if (skip !== false) return;
  assert.ok(haveNginx(), 'nginx is installed (apt-get install nginx)');
  pki = await makePki();
  cover = makeCoverDir();
  // Behind the proxy: plain HTTP, no cover of its own (nginx serves the site).
  bridge = await echoBridge({});
  nginx = await startNginx({
    tls: true,
    workerConnections: 2048,
    server: [
      `    server_name ${HOST};`,
      `    ssl_certificate ${pki.file('chain.pem')};`,
      `    ssl_certificate_key ${pki.file('leaf.key')};`,
      `    root ${cover.dir};`,
      await readmeNginxLocation(SECRET, bridge.port),
    ].join('\n'),
  });
});
after(async () => {
  if (skip !== false) return;
  await nginx?.stop();
  await bridge?.close();
  pki?.cleanup();
  cover?.cleanup();
});

const dial = (): ReturnType<typeof webtunnel.dial> =>
  webtunnel.dial({
    url: `https://${HOST}${SECRET}`,
    addr: `127.0.0.1:${nginx.port}`,
    allowPrivate: true,
    ca: pki.ca.certPem,
  });

test('64 MiB each way through nginx, hash-checked', { skip, timeout: 300_000 }, async () => {
  const size = 64 * 1024 * 1024;
  const s = await dial();
  const r = await echoTransfer(s, size, 240_000);
  assert.equal(r.received, size);
  assert.equal(r.receivedSha, r.sentSha);
  // nginx put the client in X-Forwarded-For; the server took it for USERADDR.
  assert.equal(bridge.forwarded.at(-1), '127.0.0.1');
});

test('200 concurrent tunnels through nginx', { skip, timeout: 180_000 }, async () => {
  const before = bridge.tunnels;
  const results = await Promise.all(
    Array.from({ length: 200 }, async () => echoTransfer(await dial(), 32 * 1024, 120_000)),
  );
  for (const r of results) assert.equal(r.receivedSha, r.sentSha);
  assert.ok(bridge.tunnels - before >= 200);
});

test('a pinned client through nginx (the chain nginx sends)', { skip }, async () => {
  const s = await webtunnel.dial({
    url: `https://${HOST}${SECRET}`,
    addr: `127.0.0.1:${nginx.port}`,
    allowPrivate: true,
    cert: chainHash([pki.leaf.der, pki.ca.der]).toString('base64'),
  });
  const r = await echoTransfer(s, 4096);
  assert.equal(r.receivedSha, r.sentSha);
});

test(
  'a prober gets the website from nginx, and the secret path without the upgrade gives no tunnel',
  { skip },
  async () => {
    const tls = { ca: pki.ca.certPem, servername: HOST };
    const page = await probe(
      nginx.port,
      [`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`],
      { tls },
    );
    assert.match(page.bytes.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(page.bytes.toString('latin1').endsWith(COVER_HTML));
    // nginx sends "Connection: upgrade" itself, but without the client's Upgrade header the
    // server does not switch: nginx's 404 page comes back.
    const plain = await probe(
      nginx.port,
      [`GET ${SECRET} HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`],
      { tls, limitMs: 3_000 },
    );
    const text = plain.bytes.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.doesNotMatch(text, /101 Switching/);
  },
);

test(
  'headless chromium loads the cover page through the same nginx',
  { skip, timeout: 120_000 },
  async (t) => {
    try {
      await access(CHROMIUM);
    } catch {
      if (CI) assert.fail(`${CHROMIUM} is missing (apt-get install chromium)`);
      t.skip(`${CHROMIUM} is missing`);
      return;
    }
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1`,
      ],
    });
    try {
      // The test CA is not in chromium's store: certificate errors are waived for this context.
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      const page = await context.newPage();
      const res = await page.goto(`https://${HOST}:${nginx.port}/`);
      assert.equal(res?.status(), 200);
      assert.equal(await page.title(), 'Steppe Tea Room');
      assert.equal(await page.locator('h1').textContent(), 'Steppe Tea Room');
    } finally {
      await browser.close();
    }
  },
);
