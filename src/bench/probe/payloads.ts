import { createCipheriv, createHash, createHmac, randomBytes, randomInt } from 'node:crypto';

/**
 * Probe payloads of censors.md §3.5, built from the protocols' own definitions. Everything here is
 * pure (bytes in, bytes out) so the probe runner and the tests share it.
 */

/** Rn lengths: GFW NR1/NR2 trios and 221, the 24/25, 50/51, 256/257 thresholds, obfs4's limits. */
export const RANDOM_PROBE_LENGTHS: readonly number[] = [
  1, 7, 8, 9, 11, 12, 13, 15, 16, 17, 21, 22, 23, 32, 33, 34, 40, 41, 42, 48, 49, 50, 51, 64, 148,
  149, 150, 221, 256, 257, 1448, 4096, 8191, 8192, 8193, 9640, 16383, 16384, 16385, 65536,
];

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function u24(n: number): Buffer {
  return Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

function vec16(items: readonly number[]): Buffer {
  return Buffer.concat([u16(items.length * 2), ...items.map(u16)]);
}

/**
 * A browser-like TLS 1.3 ClientHello record (T1): the cipher, group and extension choices of a
 * current Chromium/Firefox, a fresh X25519 key share and session id, padded to 517 bytes.
 */
export function tlsClientHello(sni: string): Buffer {
  const host = Buffer.from(sni, 'latin1');
  const exts = [
    ext(0x0000, Buffer.concat([u16(host.length + 3), Buffer.from([0]), u16(host.length), host])),
    ext(0x0017, Buffer.alloc(0)),
    ext(0xff01, Buffer.from([0])),
    ext(0x000a, vec16([0x001d, 0x0017, 0x0018])),
    ext(0x000b, Buffer.from([1, 0])),
    ext(0x0023, Buffer.alloc(0)),
    ext(0x0010, Buffer.concat([u16(12), Buffer.from('\x02h2\x08http/1.1', 'latin1')])),
    ext(0x0005, Buffer.from([1, 0, 0, 0, 0])),
    ext(0x000d, vec16([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])),
    ext(0x0012, Buffer.alloc(0)),
    ext(0x0033, Buffer.concat([u16(36), u16(0x001d), u16(32), randomBytes(32)])),
    ext(0x002d, Buffer.from([1, 1])),
    ext(0x002b, Buffer.from([4, 0x03, 0x04, 0x03, 0x03])),
  ];
  const ciphers = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
    0x009d, 0x002f, 0x0035,
  ];
  const fixed = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    randomBytes(32),
    Buffer.from([32]),
    randomBytes(32),
    vec16(ciphers),
    Buffer.from([1, 0]),
  ]);
  let extBytes = Buffer.concat(exts);
  // Padding extension (RFC 7685) up to the common 512-byte handshake body.
  const bodyLen = fixed.length + 2 + extBytes.length;
  if (bodyLen + 4 < 512)
    extBytes = Buffer.concat([extBytes, ext(0x0015, Buffer.alloc(Math.max(0, 512 - bodyLen - 8)))]);
  const body = Buffer.concat([fixed, u16(extBytes.length), extBytes]);
  const hs = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(hs.length), hs]);
}

/** H1: a plain HTTP request for the root. */
export function httpGet(host: string): Buffer {
  return Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, 'latin1');
}

/** S1: an OpenSSH client identification string. */
export const SSH_BANNER = Buffer.from('SSH-2.0-OpenSSH_8.9\r\n', 'latin1');

/** STUN Binding Request (RFC 5389): type 0x0001, length 0, magic cookie, transaction id. */
export function stunBindingRequest(): Buffer {
  return Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]),
    randomBytes(12),
  ]);
}

/** DNS over TCP: a zone transfer (AXFR, qtype 252) request for `zone`. */
export function dnsAxfr(zone: string): Buffer {
  const qname = Buffer.concat([
    ...zone
      .split('.')
      .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])),
    Buffer.from([0]),
  ]);
  const msg = Buffer.concat([
    randomBytes(2),
    Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    qname,
    u16(252),
    u16(1),
  ]);
  return Buffer.concat([u16(msg.length), msg]);
}

/** Modbus/TCP: Read Holding Registers (function 3) of unit 1, one register at 0. */
export function modbusReadHolding(): Buffer {
  return Buffer.concat([randomBytes(2), Buffer.from([0, 0, 0, 6, 1, 3, 0, 0, 0, 1])]);
}

/** S7comm's first packet: TPKT + COTP Connection Request (TSAP 0x0100 → 0x0102). */
export function s7CotpConnect(): Buffer {
  return Buffer.from([
    0x03, 0x00, 0x00, 0x16, 0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xc0, 0x01, 0x0a, 0xc1, 0x02,
    0x01, 0x00, 0xc2, 0x02, 0x01, 0x02,
  ]);
}

/** Tor's link handshake opener: a VERSIONS cell offering link protocols 3, 4 and 5. */
export const TOR_VERSIONS_CELL = Buffer.from([0, 0, 7, 0, 6, 0, 3, 0, 4, 0, 5]);

const OBFS2_MAGIC = 0x2bf5ca7e;

/** obfs2's MAC(s, x) = SHA-256(s ‖ x ‖ s). */
function obfs2Mac(s: string, x: Uint8Array): Buffer {
  const k = Buffer.from(s, 'latin1');
  return createHash('sha256').update(k).update(x).update(k).digest();
}

/**
 * O2: a valid obfs2 handshake from `role`'s side: seed ‖ AES-128-CTR(padkey)(MAGIC ‖ PADLEN ‖
 * padding), padkey = MAC("<Role> obfuscation padding", seed) (protocols.md §3.2).
 */
export function obfs2Handshake(
  role: 'Initiator' | 'Responder' = 'Initiator',
  padLen = randomInt(0, 8193),
): Buffer {
  const seed = randomBytes(16);
  const k = obfs2Mac(`${role} obfuscation padding`, seed);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(OBFS2_MAGIC, 0);
  head.writeUInt32BE(padLen, 4);
  const c = createCipheriv('aes-128-ctr', k.subarray(0, 16), k.subarray(16, 32));
  return Buffer.concat([seed, c.update(Buffer.concat([head, randomBytes(padLen)])), c.final()]);
}

/** Decrypts a peer's obfs2 header (24 bytes) with its role's pad key; true if the magic holds. */
export function isObfs2Handshake(b: Uint8Array, role: 'Initiator' | 'Responder'): boolean {
  if (b.length < 24) return false;
  const k = obfs2Mac(`${role} obfuscation padding`, b.subarray(0, 16));
  const d = createCipheriv('aes-128-ctr', k.subarray(0, 16), k.subarray(16, 32));
  const h = d.update(b.subarray(16, 24));
  return h.readUInt32BE(0) === OBFS2_MAGIC && h.readUInt32BE(4) <= 8192;
}

/** RFC 3526 group 5 (1536-bit MODP), obfs3's UniformDH group. */
const MODP1536 = BigInt(
  '0x' +
    'FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD' +
    'EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED' +
    'EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F' +
    '83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF',
);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
  }
  return r;
}

/**
 * O3: an obfs3 initiator handshake, a UniformDH public key (192 bytes; p − g^x for odd x, as the
 * reference does) followed by 0–4097 random bytes.
 */
export function obfs3Handshake(): Buffer {
  const priv = BigInt('0x' + randomBytes(192).toString('hex'));
  const odd = (priv & 1n) === 1n;
  const x = priv & ~1n;
  const gx = modPow(2n, x, MODP1536);
  const pub = odd ? MODP1536 - gx : gx;
  const pubBytes = Buffer.from(pub.toString(16).padStart(384, '0'), 'hex');
  return Buffer.concat([pubBytes, randomBytes(randomInt(0, 4098))]);
}

/**
 * O4x: an obfs4 client handshake made with a key the server does not have: X' ‖ P_C ‖ M_C ‖ MAC_C
 * with random X' and MAC key (protocols.md §2.4). To a server it is what a prober without the
 * bridge line can send at best.
 */
export function obfs4WrongKeyHandshake(now = Date.now()): Buffer {
  const key = randomBytes(52);
  const repr = randomBytes(32);
  const pad = randomBytes(randomInt(77, 8129));
  const mark = createHmac('sha256', key).update(repr).digest().subarray(0, 16);
  const epoch = String(Math.floor(now / 3_600_000));
  const mac = createHmac('sha256', key)
    .update(repr)
    .update(pad)
    .update(mark)
    .update(epoch)
    .digest()
    .subarray(0, 16);
  return Buffer.concat([repr, pad, mark, mac]);
}

/** Replay variants of a recorded first payload (Alice et al., IMC 2020): R1..R5. */
export function replayVariant(recorded: Uint8Array, variant: 1 | 2 | 3 | 4 | 5): Buffer {
  const b = Buffer.from(recorded);
  const change = (i: number): void => {
    if (i < b.length) b[i] = (b[i]! ^ (1 + randomInt(255))) & 0xff;
  };
  switch (variant) {
    case 1:
      break;
    case 2:
      change(0);
      break;
    case 3:
      for (let i = 0; i < 8; i++) change(i);
      change(62);
      change(63);
      break;
    case 4:
      change(16);
      break;
    case 5:
      change(6);
      change(16);
      break;
  }
  return b;
}
