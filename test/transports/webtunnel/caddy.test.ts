// webtunnel through a real Caddy (Debian's 2.6), with contrib/webtunnel/Caddyfile as shipped:
// the test puts in its own certificate, loopback ports, secret path, backend and cover
// directory, and turns off what a test must not do (ACME, the admin endpoint). Short on
// purpose (the nginx test carries the volume): a few MiB hash-checked, a few concurrent
// tunnels, a pinned client, and the cover site for a prober.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { webtunnel } from '../../../src/transports/webtunnel/index.js';
import { chainHash } from '../../../src/transports/webtunnel/pin.js';
import { docsText } from '../../cli/support/docs.js';
import { haveCaddy, startCaddy, type Caddy } from '../../_support/caddy.js';
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
const skip: string | false = haveCaddy() ? false : CI ? false : '/usr/bin/caddy is missing';
const withoutComments = (text: string): string => text.replace(/^\s*#.*\n/gm, '');
const CONTRIB = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'contrib',
  'webtunnel',
  'Caddyfile',
);

let pki: TestPki;
let cover: { dir: string; cleanup(): void };
let bridge: EchoBridge;
let caddy: Caddy;

/** The shipped Caddyfile, made to run on loopback with the test's certificate. */
function testCaddyfile(shipped: string, port: number, httpPort: number, dir: string): string {
  // Comments name the placeholders too; only the directives are substituted and checked.
  const out = withoutComments(shipped)
    .replace(
      /^\{\n/m,
      [
        '{',
        '\tadmin off',
        '\tauto_https off',
        `\thttp_port ${httpPort}`,
        `\thttps_port ${port}`,
        `\tstorage file_system ${join(dir, 'storage')}`,
        '',
      ].join('\n'),
    )
    .replace(
      /^bridge\.example\.org \{\n/m,
      [
        `https://${HOST}:${port} {`,
        '\tbind 127.0.0.1',
        `\ttls ${pki.file('chain.pem')} ${pki.file('leaf.key')}`,
        '',
      ].join('\n'),
    )
    .replace('/SECRET-PATH', SECRET)
    .replace('127.0.0.1:15000', `127.0.0.1:${bridge.port}`)
    .replace('/var/www/html', cover.dir);
  for (const placeholder of ['bridge.example.org', 'SECRET-PATH', ':15000', '/var/www/html']) {
    assert.ok(!out.includes(placeholder), `the test replaced ${placeholder} in the Caddyfile`);
  }
  return out;
}

before(async () => {
  if (skip !== false) return;
  assert.ok(haveCaddy(), 'caddy is installed (apt-get install caddy)');
  const shipped = await readFile(CONTRIB, 'utf8');
  pki = await makePki();
  cover = makeCoverDir();
  bridge = await echoBridge({});
  caddy = await startCaddy((port, httpPort, dir) => testCaddyfile(shipped, port, httpPort, dir));
});
after(async () => {
  if (skip !== false) return;
  await caddy?.stop();
  await bridge?.close();
  pki?.cleanup();
  cover?.cleanup();
});

const dial = (): ReturnType<typeof webtunnel.dial> =>
  webtunnel.dial({
    url: `https://${HOST}${SECRET}`,
    addr: `127.0.0.1:${caddy.port}`,
    allowPrivate: true,
    ca: pki.ca.certPem,
  });

test('4 MiB each way through Caddy, hash-checked, X-Forwarded-For set', { skip }, async () => {
  const size = 4 * 1024 * 1024;
  const r = await echoTransfer(await dial(), size, 60_000);
  assert.equal(r.received, size);
  assert.equal(r.receivedSha, r.sentSha);
  assert.equal(bridge.forwarded.at(-1), '127.0.0.1');
});

test('8 concurrent tunnels and a pinned client through Caddy', { skip }, async () => {
  const results = await Promise.all(
    Array.from({ length: 8 }, async () => echoTransfer(await dial(), 64 * 1024, 60_000)),
  );
  for (const r of results) assert.equal(r.receivedSha, r.sentSha);
  const pinned = await webtunnel.dial({
    url: `https://${HOST}${SECRET}`,
    addr: `127.0.0.1:${caddy.port}`,
    allowPrivate: true,
    cert: chainHash([pki.leaf.der, pki.ca.der]).toString('base64'),
  });
  const r = await echoTransfer(pinned, 4096);
  assert.equal(r.receivedSha, r.sentSha);
});

test('a prober gets the website from Caddy over HTTP/1.1', { skip }, async () => {
  const page = await probe(
    caddy.port,
    [`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`],
    { tls: { ca: pki.ca.certPem, servername: HOST } },
  );
  const text = page.bytes.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(text.endsWith(COVER_HTML));
});

test('the README shows the Caddyfile this test runs', async () => {
  const docs = await docsText();
  const block = /```caddy\n([^`]*)```/.exec(docs)?.[1];
  assert.equal(block, withoutComments(await readFile(CONTRIB, 'utf8')));
});
