// JA4 known answers: the worked example of FoxIO's JA4 specification (provenance in
// test/vectors/README.md), built here as a real TLS record, with GREASE values sprinkled in
// that the fingerprint must ignore, and read back through the same record parser the bench
// and `bench:ja4` use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HS_CLIENT_HELLO, TlsDirectionParser } from '../../../src/bench/censor/tls/records.js';
import { parseClientHello } from '../../../src/bench/censor/tls/hello.js';
import { ja4 } from '../../../src/bench/censor/tls/ja4.js';

const u16 = (v: number): Buffer => Buffer.from([v >> 8, v & 0xff]);
const u16s = (vs: readonly number[]): Buffer => Buffer.concat(vs.map(u16));
const vec16 = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);
const vec8 = (b: Buffer): Buffer => Buffer.concat([Buffer.from([b.length]), b]);

// The spec's example, in the client's order (JA4.md, "Cipher hash" and "Extension hash").
const CIPHERS = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
  0x009d, 0x002f, 0x0035,
];
const EXTENSIONS = [
  0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
  0xff01, 0x000b, 0x000a, 0x0015,
];
const SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function extensionData(type: number, sigalgs: readonly number[]): Buffer {
  switch (type) {
    case 0x0000: // server_name: list of (type 0, name)
      return vec16(Buffer.concat([Buffer.from([0]), vec16(Buffer.from('example.org'))]));
    case 0x0010: // ALPN: h2, http/1.1
      return vec16(Buffer.concat([vec8(Buffer.from('h2')), vec8(Buffer.from('http/1.1'))]));
    case 0x000d:
      return vec16(u16s([0x0a0a, ...sigalgs]));
    case 0x002b: // supported_versions: GREASE, 1.3, 1.2 → "13"
      return vec8(u16s([0x7a7a, 0x0304, 0x0303]));
    default:
      return Buffer.alloc(0);
  }
}

/** One ClientHello record: GREASE first in ciphers and extensions, as Chrome sends it. */
function clientHelloRecord(
  opts: { extensions?: readonly number[]; sigalgs?: readonly number[] } = {},
): Buffer {
  const exts = opts.extensions ?? EXTENSIONS;
  const sigalgs = opts.sigalgs ?? SIGALGS;
  const extBytes = Buffer.concat(
    [0x2a2a, ...exts, 0xfafa].map((t) => Buffer.concat([u16(t), vec16(extensionData(t, sigalgs))])),
  );
  const body = Buffer.concat([
    u16(0x0303),
    Buffer.alloc(32, 7),
    vec8(Buffer.alloc(32, 9)),
    vec16(u16s([0xdada, ...CIPHERS])),
    vec8(Buffer.from([0])),
    vec16(extBytes),
  ]);
  const hs = Buffer.concat([
    Buffer.from([HS_CLIENT_HELLO, 0, body.length >> 8, body.length]),
    body,
  ]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
}

function fingerprint(record: Buffer): ReturnType<typeof ja4> {
  const p = new TlsDirectionParser();
  // Split across two pushes: the parser must reassemble the record.
  const first = p.push(record.subarray(0, 7));
  const second = p.push(record.subarray(7));
  const hs = [...first.handshakes, ...second.handshakes].find((h) => h.msgType === HS_CLIENT_HELLO);
  assert.ok(hs, 'a ClientHello is parsed');
  const hello = parseClientHello(hs.body);
  assert.ok(hello);
  return ja4(hello);
}

test('JA4 of the specification example (GREASE ignored)', () => {
  const f = fingerprint(clientHelloRecord());
  // a: t, 13 (supported_versions), d (SNI), 15 ciphers, 16 extensions, "h2".
  // b: sha256("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9").
  // c: sha256("0005,000a,…,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601").
  assert.equal(f.ja4, 't13d1516h2_8daaf6152771_e5627efa2ab1');
  assert.equal(f.ja4_o, 't13d1516h2_acb858a92679_18f69afefd3d');
  assert.equal(
    f.ja4_r,
    't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601',
  );
  assert.equal(
    f.ja4_ro,
    't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601',
  );
});

test('JA4 without signature algorithms hashes the extensions alone (spec: 6d807ffa2a79)', () => {
  // The spec's example list with no sigalgs has no trailing "_"; the extension 000d stays in
  // the list (it is present, with an empty list after GREASE is removed).
  const f = fingerprint(clientHelloRecord({ sigalgs: [] }));
  assert.equal(f.ja4.split('_')[2], '6d807ffa2a79');
});

test('JA4: no SNI is "i", no ALPN is "00", no supported_versions falls back to the legacy version', () => {
  const exts = EXTENSIONS.filter((e) => e !== 0x0000 && e !== 0x0010 && e !== 0x002b);
  const f = fingerprint(clientHelloRecord({ extensions: exts }));
  assert.match(f.ja4, /^t12i151300_8daaf6152771_/);
});
