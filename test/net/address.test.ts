import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatHostPort, isLoopback, parseHostPort } from '../../src/net/address.js';
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes } from '../../src/net/ip-bytes.js';
import { PtError } from '../../src/errors.js';

test('parseHostPort accepts what goptlib resolveAddr accepts', () => {
  const good: Array<[string, object, string, number]> = [
    ['1.2.3.4:9999', { requireIp: true }, '1.2.3.4', 9999],
    ['[1:2::3:4]:9999', { requireIp: true }, '1:2::3:4', 9999],
    ['[::1]:0', { requireIp: true, allowPortZero: true }, '::1', 0],
    ['1:2::3:4:9999', { requireIp: true, allowUnbracketedIpv6: true }, '1:2::3:4', 9999],
    ['example.com:443', {}, 'example.com', 443],
    ['127.0.0.1:65535', {}, '127.0.0.1', 65535],
  ];
  for (const [s, opts, host, port] of good) {
    assert.deepEqual(parseHostPort(s, opts), { host, port }, s);
  }
});

test('parseHostPort rejects malformed host:port with a message naming the problem', () => {
  const bad: Array<[string, object, RegExp]> = [
    ['1.2.3.4', {}, /missing port/],
    ['1.2.3.4:', {}, /missing port/],
    [':9999', {}, /missing host/],
    ['1.2.3.4:65536', {}, /above 65535/],
    ['1.2.3.4:-1', {}, /not a number/],
    ['1.2.3.4:0', {}, /port 0/],
    ['[1:2::3:4]', {}, /missing port/],
    ['[1:2::3:4:9999', {}, /missing "]"/],
    ['[1.2.3.4]:80', {}, /not an IPv6/],
    ['1:2::3:4:9999', {}, /too many colons/],
    ['abc:9999', { requireIp: true }, /not an IP string: "abc"/],
    ['a b:80', {}, /neither an IP address nor a host name/],
  ];
  for (const [s, opts, re] of bad) {
    assert.throws(
      () => parseHostPort(s, opts),
      (e: unknown) => e instanceof PtError && re.test(e.message),
      s,
    );
  }
});

test('formatHostPort brackets IPv6 and round-trips', () => {
  assert.equal(formatHostPort({ host: '::1', port: 5 }), '[::1]:5');
  assert.equal(formatHostPort({ host: '10.0.0.1', port: 5 }), '10.0.0.1:5');
  fc.assert(
    fc.property(
      fc.oneof(fc.ipV4(), fc.ipV6()),
      fc.integer({ min: 1, max: 65535 }),
      (host, port) => {
        const parsed = parseHostPort(formatHostPort({ host, port }), { requireIp: true });
        assert.deepEqual(parsed, { host, port });
      },
    ),
  );
});

test('isLoopback covers 127/8, ::1 and mapped loopback only', () => {
  for (const h of ['127.0.0.1', '127.255.1.2', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])
    assert.ok(isLoopback(h), h);
  for (const h of ['128.0.0.1', '10.0.0.1', '::2', '::ffff:10.0.0.1', '2001:db8::1'])
    assert.ok(!isLoopback(h), h);
});

test('IPv4/IPv6 byte conversion round-trips and matches the WHATWG canonical form', () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      assert.equal(bytesToIpv4(ipv4ToBytes(ip)), ip);
    }),
  );
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const bytes = ipv6ToBytes(ip);
      const canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
      const ours = bytesToIpv6(bytes);
      // WHATWG prints embedded IPv4 as hex; compare through the bytes.
      assert.deepEqual(ipv6ToBytes(ours), bytes);
      assert.deepEqual(ipv6ToBytes(canonical), bytes);
      assert.equal(ours, canonical);
    }),
  );
  assert.equal(bytesToIpv6(ipv6ToBytes('::ffff:1.2.3.4')), '::ffff:102:304');
  assert.equal(bytesToIpv6(ipv6ToBytes('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.throws(() => ipv6ToBytes('1.2.3.4'), RangeError);
});
