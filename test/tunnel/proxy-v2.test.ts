// PROXY protocol v2 headers from `steppe server --proxy-protocol`, byte for byte against the
// layout of HAProxy's proxy-protocol.txt §2.2, and read back with an independent parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeProxyV2,
  encodeProxyV2Local,
  PROXY_V2_SIGNATURE,
  unmapIpv4,
} from '../../src/tunnel/proxy-v2.js';
import { parseProxyV2 } from './support/proxy-v2-parser.js';

test('IPv4: 16-byte header, 12 bytes of addresses, ports big-endian', () => {
  const h = encodeProxyV2(
    { address: '192.0.2.10', port: 51000 },
    { address: '198.51.100.1', port: 443 },
  );
  assert.equal(
    Buffer.from(h).toString('hex'),
    '0d0a0d0a000d0a515549540a' + // signature
      '21' + // version 2, PROXY
      '11' + // TCP over IPv4
      '000c' + // 12 bytes follow
      'c000020a' + // 192.0.2.10
      'c6336401' + // 198.51.100.1
      'c738' + // 51000
      '01bb', // 443
  );
  assert.deepEqual(parseProxyV2(h), {
    command: 'PROXY',
    family: 'tcp4',
    source: { address: '192.0.2.10', port: 51000 },
    destination: { address: '198.51.100.1', port: 443 },
    length: 28,
  });
});

test('IPv6: 36 bytes of addresses', () => {
  const h = encodeProxyV2({ address: '2001:db8::1', port: 1 }, { address: '::1', port: 65535 });
  assert.equal(h.length, 16 + 36);
  assert.equal(h[12], 0x21);
  assert.equal(h[13], 0x21);
  assert.equal(Buffer.from(h.subarray(14, 16)).readUInt16BE(0), 36);
  assert.deepEqual(parseProxyV2(h)?.source, { address: '2001:db8::1', port: 1 });
  assert.deepEqual(parseProxyV2(h)?.destination, { address: '::1', port: 65535 });
});

test('IPv4-mapped addresses of a dual-stack listener are sent as IPv4', () => {
  const h = encodeProxyV2(
    { address: '::ffff:127.0.0.1', port: 40000 },
    { address: '::ffff:127.0.0.2', port: 443 },
  );
  const p = parseProxyV2(h);
  assert.equal(p?.family, 'tcp4');
  assert.deepEqual(p?.source, { address: '127.0.0.1', port: 40000 });
  assert.equal(unmapIpv4('::FFFF:10.1.2.3'), '10.1.2.3');
  assert.equal(unmapIpv4('::ffff:1.2'), '::ffff:1.2');
});

test('mixed families: the IPv4 end is mapped into IPv6', () => {
  const p = parseProxyV2(
    encodeProxyV2({ address: '192.0.2.1', port: 5 }, { address: '::', port: 443 }),
  );
  assert.equal(p?.family, 'tcp6');
  assert.deepEqual(p?.source, { address: '::ffff:c000:201', port: 5 });
});

test('LOCAL command carries no addresses', () => {
  const h = encodeProxyV2Local();
  assert.deepEqual(Buffer.from(h.subarray(0, 12)), Buffer.from(PROXY_V2_SIGNATURE));
  assert.equal(Buffer.from(h.subarray(12)).toString('hex'), '20000000');
  assert.equal(parseProxyV2(h)?.command, 'LOCAL');
});

test('programmer errors: names and ports', () => {
  assert.throws(
    () => encodeProxyV2({ address: 'example.com', port: 1 }, { address: '::1', port: 1 }),
    TypeError,
  );
  assert.throws(
    () => encodeProxyV2({ address: '::1', port: 70000 }, { address: '::1', port: 1 }),
    RangeError,
  );
  assert.throws(
    () => encodeProxyV2({ address: '::1', port: 1 }, { address: '::1', port: -1 }),
    RangeError,
  );
});
