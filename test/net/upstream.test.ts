// Byte transcripts and fuzzing for the upstream-proxy client codecs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  encodeConnect,
  encodeGreeting,
  encodeUserPass,
  parseConnectReply,
  parseMethodChoice,
  parseUserPassReply,
} from '../../src/net/upstream-socks5.js';
import { encodeSocks4aConnect, parseSocks4Reply } from '../../src/net/upstream-socks4.js';
import { encodeHttpConnect, parseHttpConnectResponse } from '../../src/net/upstream-http.js';
import { PtError } from '../../src/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('SOCKS5 client messages', () => {
  assert.equal(hex(encodeGreeting(false)), '050100');
  assert.equal(hex(encodeGreeting(true)), '05020002');
  assert.equal(hex(encodeUserPass('ab', 'c')), '0102616201' + '63');
  assert.equal(hex(encodeConnect({ host: '1.2.3.4', port: 443 })), '050100010102030401bb');
  assert.equal(
    hex(encodeConnect({ host: '::1', port: 80 })),
    '05010004' + '0'.repeat(30) + '01' + '0050',
  );
  assert.equal(
    hex(encodeConnect({ host: 'ab.c', port: 1 })),
    '0501000304' + Buffer.from('ab.c').toString('hex') + '0001',
  );
  assert.deepEqual(parseMethodChoice(Buffer.from('0502', 'hex')), { value: 2, consumed: 2 });
  assert.equal(parseMethodChoice(Buffer.from('05', 'hex')), null);
  assert.throws(
    () => parseMethodChoice(Buffer.from('05ff', 'hex')),
    /accepts none of our authentication/,
  );
  assert.throws(() => parseMethodChoice(Buffer.from('0400', 'hex')), /not a SOCKS5 server/);
  assert.deepEqual(parseUserPassReply(Buffer.from('0100', 'hex')), { value: true, consumed: 2 });
  assert.throws(() => parseUserPassReply(Buffer.from('0101', 'hex')), /rejected the user name/);
  const ok4 = Buffer.from('05000001' + '7f000001' + '1f90' + 'aa', 'hex');
  assert.deepEqual(parseConnectReply(ok4), {
    value: { host: '127.0.0.1', port: 8080 },
    consumed: 10,
  });
  const okName = Buffer.from('0500000303616263' + '0050', 'hex');
  assert.deepEqual(parseConnectReply(okName), { value: { host: 'abc', port: 80 }, consumed: 10 });
  for (let n = 0; n < ok4.length - 1; n++)
    assert.equal(parseConnectReply(ok4.subarray(0, n)), null, `prefix ${n}`);
  assert.throws(
    () => parseConnectReply(Buffer.from('05050001', 'hex')),
    (e: unknown) =>
      e instanceof PtError && (e as unknown as { socksReply: number }).socksReply === 5,
  );
});

test('SOCKS4a client messages', () => {
  assert.equal(hex(encodeSocks4aConnect({ host: '1.2.3.4', port: 80 })), '04010050010203040' + '0');
  assert.equal(
    hex(encodeSocks4aConnect({ host: 'ab', port: 80 }, 'u')),
    '0401005000000001' + '7500' + '616200',
  );
  assert.throws(() => encodeSocks4aConnect({ host: '::1', port: 80 }), /IPv6/);
  assert.deepEqual(parseSocks4Reply(Buffer.from('005a000000000000', 'hex')), {
    value: true,
    consumed: 8,
  });
  assert.equal(parseSocks4Reply(Buffer.from('005a', 'hex')), null);
  assert.throws(
    () => parseSocks4Reply(Buffer.from('005b000000000000', 'hex')),
    /rejected or failed/,
  );
  assert.throws(
    () => parseSocks4Reply(Buffer.from('055a000000000000', 'hex')),
    /not a SOCKS4a server/,
  );
});

test('HTTP CONNECT client messages', () => {
  assert.equal(
    Buffer.from(
      encodeHttpConnect({ host: '::1', port: 443 }, { username: 'a', password: 'b' }),
    ).toString(),
    'CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\nProxy-Authorization: Basic YTpi\r\n\r\n',
  );
  const ok = Buffer.from('HTTP/1.1 200 Connection established\r\nX: y\r\n\r\nDATA');
  assert.deepEqual(parseHttpConnectResponse(ok), {
    value: { status: 200, reason: 'Connection established' },
    consumed: ok.length - 4,
  });
  assert.equal(parseHttpConnectResponse(Buffer.from('HTTP/1.1 200 OK\r\n')), null);
  assert.throws(
    () => parseHttpConnectResponse(Buffer.from('HTTP/1.0 403 Forbidden\r\n\r\n')),
    /refused CONNECT: 403/,
  );
  assert.throws(
    () => parseHttpConnectResponse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')),
    /did not answer like an HTTP proxy/,
  );
  assert.throws(() => parseHttpConnectResponse(Buffer.alloc(17000, 0x41)), /over 16384 bytes/);
});

// Parsers must never throw anything but PtError, and any prefix of a valid message is "need more".
test('upstream reply parsers survive random bytes and random splits', () => {
  const parsers = [
    parseMethodChoice,
    parseUserPassReply,
    parseConnectReply,
    parseSocks4Reply,
    parseHttpConnectResponse,
  ];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      for (const p of parsers) {
        try {
          const r = p(bytes);
          if (r !== null) assert.ok(r.consumed > 0 && r.consumed <= bytes.length);
        } catch (e) {
          assert.ok(e instanceof PtError, `${p.name} threw ${String(e)}`);
        }
      }
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...['0500000304616263640050', '05000004' + '00'.repeat(16) + '0050']),
      fc.nat(),
      (h, cut) => {
        const b = Buffer.from(h, 'hex');
        const n = cut % b.length;
        assert.equal(parseConnectReply(b.subarray(0, n)), null);
        assert.equal(parseConnectReply(b)?.consumed, b.length);
      },
    ),
  );
});
