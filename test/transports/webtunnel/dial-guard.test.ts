// The webtunnel client refuses a Bridge line whose url= or addr= is (or resolves to) an address
// on this computer or its networks, unless the user opted in. No network: literals and
// *.localhost are decided without DNS, and the refusal comes before any connect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPrivateAddress } from '../../../src/net/private-address.js';
import { webtunnel } from '../../../src/transports/webtunnel/index.js';
import { allowPrivateFromEnv } from '../../../src/transports/webtunnel/dial-guard.js';
import { PtError } from '../../../src/errors.js';

const PRIVATE = [
  '127.0.0.1',
  '127.8.9.10',
  '::1',
  '10.1.2.3',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '::',
  'fe80::1',
  'fe80::1%eth0',
  'fd12:3456::1',
  '::ffff:127.0.0.1',
  '::ffff:10.0.0.1',
  '::ffff:c0a8:101',
  '255.255.255.255',
];
const PUBLIC = ['8.8.8.8', '172.32.0.1', '192.0.2.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'];

test('isPrivateAddress: loopback, RFC 1918, CGNAT, link-local, unspecified, ULA, IPv4-mapped', () => {
  for (const ip of PRIVATE) assert.equal(isPrivateAddress(ip), true, ip);
  for (const ip of PUBLIC) assert.equal(isPrivateAddress(ip), false, ip);
  assert.equal(isPrivateAddress('example.org'), false);
});

function target(entries: Record<string, string>, allowPrivate?: boolean): Promise<unknown> {
  const f = webtunnel.transport.createClient(allowPrivate === undefined ? {} : { allowPrivate });
  const args = f.parseArgs(new Map(Object.entries(entries).map(([k, v]) => [k, [v]])));
  return Promise.resolve(f.dialTarget?.(args, { proxied: false }));
}

test('a private url= host or addr= is refused with one error naming the argument and the opt-in', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ url: 'https://127.0.0.1/secret' }, /127\.0\.0\.1:443 from the Bridge line's url=/],
    [{ url: 'https://[::1]:8443/secret' }, /\[::1\]:8443 from the Bridge line's url=/],
    [{ url: 'https://[fe80::1]/s' }, /url=/],
    [{ url: 'https://[::ffff:192.168.0.1]/s' }, /url=/],
    [{ url: 'https://bridge.example.org/s', addr: '10.0.0.5:443' }, /10\.0\.0\.5:443 .*addr=/],
    [{ url: 'https://bridge.example.org/s', addr: '0.0.0.0:80' }, /addr=/],
    [{ url: 'https://router.localhost/s' }, /resolves to 127\.0\.0\.1/],
  ];
  for (const [entries, message] of cases) {
    await assert.rejects(
      target(entries),
      (e: unknown) =>
        e instanceof PtError &&
        e.code === 'ERR_INVALID_ARGS' &&
        message.test(e.message) &&
        /STEPPE_WEBTUNNEL_ALLOW_PRIVATE=1/.test(e.message),
      JSON.stringify(entries),
    );
  }
});

test('allowPrivate (or STEPPE_WEBTUNNEL_ALLOW_PRIVATE=1) lets a private target through; public literals always pass', async () => {
  assert.deepEqual(await target({ url: 'https://127.0.0.1:9/s' }, true), {
    host: '127.0.0.1',
    port: 9,
  });
  assert.deepEqual(await target({ url: 'https://bridge.example.org/s', addr: '192.0.2.7:443' }), {
    host: '192.0.2.7',
    port: 443,
  });
  assert.equal(allowPrivateFromEnv({ STEPPE_WEBTUNNEL_ALLOW_PRIVATE: '1' }), true);
  assert.equal(allowPrivateFromEnv({ STEPPE_WEBTUNNEL_ALLOW_PRIVATE: 'yes' }), false);
  assert.equal(allowPrivateFromEnv({}), false);
});

test('through an upstream proxy a name is not resolved here, a private literal is still refused', async () => {
  const f = webtunnel.transport.createClient({ allowPrivate: false });
  const named = f.parseArgs(new Map([['url', ['https://bridge.example.org/s']]]));
  assert.deepEqual(await f.dialTarget?.(named, { proxied: true }), {
    host: 'bridge.example.org',
    port: 443,
  });
  const literal = f.parseArgs(new Map([['url', ['https://10.9.8.7/s']]]));
  await assert.rejects(Promise.resolve(f.dialTarget?.(literal, { proxied: true })), /url=/);
});

test('webtunnel.dial refuses before connecting (port 1 has no listener: no ERR_CONNECT)', async () => {
  await assert.rejects(
    webtunnel.dial({
      url: 'https://bridge.example.org/s',
      addr: '127.0.0.1:1',
      allowPrivate: false,
    }),
    (e: unknown) => e instanceof PtError && e.code === 'ERR_INVALID_ARGS',
  );
});
