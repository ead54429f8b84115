// The share string codec: round trips for every address form, percent-encoding of what a
// query cannot carry literally, and a one-line error for each kind of malformed string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeShare, parseShare, ShareStringError } from '../../src/cli/share.js';

const CERT = 'H4g6t8pL9BwEgFEgQewgHzoqcuaIey9VEjjrusoOYBYsqVpWkzlrtSxIJWtrtYi5oA4z+w';

test('encodes the example form; base64 "/" and "=" stay, "+" is escaped', () => {
  const s = encodeShare({
    transport: 'obfs4',
    server: { host: '203.0.113.5', port: 443 },
    args: new Map([
      ['cert', CERT],
      ['iat-mode', '0'],
    ]),
  });
  assert.equal(s, `steppe://obfs4@203.0.113.5:443?cert=${CERT.replace('+', '%2B')}&iat-mode=0`);
  const back = parseShare(s);
  assert.equal(back.transport, 'obfs4');
  assert.deepEqual(back.server, { host: '203.0.113.5', port: 443 });
  assert.deepEqual(
    [...back.args],
    [
      ['cert', CERT],
      ['iat-mode', '0'],
    ],
  );
});

test('IPv6 and host names; a label after #; copy-paste quotes and whitespace', () => {
  const v6 = parseShare('steppe://obfs4@[2001:db8::5]:8443?cert=a/b=&iat-mode=1#home%20vpn');
  assert.deepEqual(v6.server, { host: '2001:db8::5', port: 8443 });
  assert.equal(v6.args.get('cert'), 'a/b=');
  assert.equal(v6.label, 'home vpn');
  assert.equal(
    encodeShare(v6),
    'steppe://obfs4@[2001:db8::5]:8443?cert=a/b=&iat-mode=1#home%20vpn',
  );
  const named = parseShare(`  "steppe://obfs4@vpn.example.org:443/?cert=x"\n`);
  assert.deepEqual(named.server, { host: 'vpn.example.org', port: 443 });
  assert.equal(parseShare('STEPPE://obfs4@h:1').transport, 'obfs4');
});

test('a literal "+" is a plus, never a space (a cert pasted without encoding still works)', () => {
  assert.equal(parseShare(`steppe://obfs4@h:1?cert=${CERT}`).args.get('cert'), CERT);
});

test('round trip for arbitrary args', () => {
  const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !k.includes('\u0000'));
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.tuple(key, fc.string({ maxLength: 40 })), {
        selector: (t) => t[0],
        maxLength: 5,
      }),
      fc.constantFrom('127.0.0.1', '::1', 'example.com'),
      fc.integer({ min: 1, max: 65535 }),
      (pairs, host, port) => {
        const info = { transport: 't_1', server: { host, port }, args: new Map(pairs) };
        const back = parseShare(encodeShare(info));
        assert.deepEqual(back.server, info.server);
        assert.deepEqual([...back.args], pairs);
      },
    ),
    { numRuns: 300 },
  );
});

test('malformed share strings: one line each, naming the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty share string/],
    ['obfs4@1.2.3.4:443', /must start with "steppe:\/\/"/],
    ['https://obfs4@1.2.3.4:443', /scheme "https:\/\/" is not "steppe:\/\/"/],
    ['steppe://1.2.3.4:443?cert=x', /no transport name before "@"/],
    ['steppe://obfs-4@1.2.3.4:443', /"obfs-4" is not a transport name/],
    ['steppe://obfs4@1.2.3.4?cert=x', /bad server address: .*missing port/],
    ['steppe://obfs4@1.2.3.4:99999', /port 99999 is above 65535/],
    ['steppe://obfs4@2001:db8::1:443', /too many colons/],
    ['steppe://obfs4@1.2.3.4:443/x?cert=a', /unexpected "\/" after the address/],
    ['steppe://obfs4@1.2.3.4:443?cert', /argument "cert" has no "=value"/],
    ['steppe://obfs4@1.2.3.4:443?=x', /empty name/],
    ['steppe://obfs4@1.2.3.4:443?cert=%zz', /argument "cert" has a broken %-escape/],
    ['steppe://obfs4@1.2.3.4:443?cert=a&cert=b', /"cert" appears twice/],
    ['steppe://obfs4@1.2.3.4:443?cert=a b', /whitespace/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => parseShare(input),
      (e: unknown) => {
        assert.ok(e instanceof ShareStringError, input);
        assert.match(e.message, re, input);
        assert.ok(!e.message.includes('\n'), input);
        return true;
      },
    );
  }
});
