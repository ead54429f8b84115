import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { aes128Ctr } from '../../../src/crypto/aes-ctr.js';
import { bytesToHex, concatBytes, hexToBytes } from '../../../src/crypto/bytes.js';
import { randomBytes } from '../../../src/crypto/random.js';
import { generateUniformDhKeypair } from '../../../src/crypto/uniformdh.js';
import { PtError } from '../../../src/errors.js';
import {
  MAGIC_SEARCH_LIMIT,
  MAX_PADDING,
  MAX_SEND_PADDING,
} from '../../../src/transports/obfs3/constants.js';
import { Obfs3Codec } from '../../../src/transports/obfs3/codec.js';
import { Obfs3Handshake } from '../../../src/transports/obfs3/handshake.js';
import { deriveObfs3Keys, obfs3, type Obfs3Keys } from '../../../src/transports/obfs3/index.js';
import { MagicScanner } from '../../../src/transports/obfs3/magic-scanner.js';
import { loadVectors } from '../../crypto/vectors.js';
import { sweep } from '../../_support/sweep.js';
import { echoTransfer } from '../../_support/transfer.js';

interface Obfs3Vectors {
  obfs3: {
    sharedSecret: string;
    initSecret: string;
    respSecret: string;
    initMagic: string;
    respMagic: string;
    plaintext: string;
    initCiphertext: string;
  };
}
const v = loadVectors<Obfs3Vectors>('obfs23.json').obfs3;

test('obfs3 KAT: secrets, counters and magics from the UniformDH KAT secret', () => {
  const k = deriveObfs3Keys(hexToBytes(v.sharedSecret));
  assert.equal(bytesToHex(concatBytes(k.initiator.key, k.initiator.counter)), v.initSecret);
  assert.equal(bytesToHex(concatBytes(k.responder.key, k.responder.counter)), v.respSecret);
  assert.equal(bytesToHex(k.initiatorMagic), v.initMagic);
  assert.equal(bytesToHex(k.responderMagic), v.respMagic);
  const ct = aes128Ctr(k.initiator.key, k.initiator.counter).update(hexToBytes(v.plaintext));
  assert.equal(bytesToHex(ct), v.initCiphertext);
});

const pairKeys = { client: generateUniformDhKeypair(), server: generateUniformDhKeypair() };

/** Both handshakes, each fed the other's hello (plus `trailing`) in one piece. */
function exchange(clientPad: number, serverPad: number): { c: Obfs3Keys; s: Obfs3Keys } {
  const client = new Obfs3Handshake({
    initiator: true,
    keypair: pairKeys.client,
    padLength: clientPad,
  });
  const server = new Obfs3Handshake({
    initiator: false,
    keypair: pairKeys.server,
    padLength: serverPad,
  });
  const ch = client.hello();
  const sh = server.hello();
  assert.equal(ch.length, 192 + clientPad);
  assert.equal(sh.length, 192 + serverPad);
  const sr = server.receive(ch)!;
  const cr = client.receive(sh)!;
  assert.equal(sr.leftover.length, clientPad);
  assert.equal(cr.leftover.length, serverPad);
  assert.deepEqual(sr.keys, cr.keys);
  return { c: cr.keys, s: sr.keys };
}

test('obfs3 handshake: both sides agree at every key padding length', () => {
  for (const pad of sweep(0, MAX_SEND_PADDING, 24)) exchange(pad, MAX_SEND_PADDING - pad);
});

test('obfs3 data phase: the magic is found after every padding length, data decrypts', () => {
  const { c, s } = exchange(0, 0);
  for (const pad of sweep(0, MAX_SEND_PADDING, 48)) {
    const tx = new Obfs3Codec(c, true, undefined, pad);
    const rx = new Obfs3Codec(s, false);
    const data = randomBytes(1000);
    const wire = tx.encode(data);
    assert.equal(wire.length, pad + 32 + data.length);
    // the key exchange's own padding arrives first and is skipped as pre-magic bytes too
    const got = rx.decode(concatBytes(randomBytes(100), wire));
    assert.deepEqual(got, data);
    // later writes carry no preamble
    const more = randomBytes(10);
    assert.deepEqual(rx.decode(tx.encode(more)), more);
    assert.equal(tx.encode(more).length, 10);
  }
});

test('obfs3 magic search: the bounds of obfs4proxy (8226 buffered, magic at ≤ 8194)', () => {
  const magic = randomBytes(32);
  const fill = (n: number): Uint8Array => new Uint8Array(n).fill(0x41);
  // magic at exactly 8194: accepted, even across many small pieces
  const ok = new MagicScanner(magic);
  const input = concatBytes(fill(MAX_PADDING), magic, Uint8Array.of(1, 2, 3));
  let out: Uint8Array | null = null;
  for (let i = 0; i < input.length && out === null; i += 100)
    out = ok.push(input.subarray(i, i + 100));
  assert.ok(out !== null);
  // at 8195 (it can only be seen there across two reads): refused
  const late = new MagicScanner(magic);
  assert.equal(late.push(fill(8000)), null);
  assert.throws(
    () => late.push(concatBytes(fill(MAX_PADDING + 1 - 8000), magic)),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_TOO_LONG',
  );
  // the same bytes in one read: the first 8226 hold no whole magic
  assert.throws(
    () => new MagicScanner(magic).push(concatBytes(fill(MAX_PADDING + 1), magic)),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
  );
  // 8225 bytes without it: still waiting; 8226: refused, nothing left unread
  const s = new MagicScanner(magic);
  assert.equal(s.push(fill(MAGIC_SEARCH_LIMIT - 1)), null);
  assert.throws(
    () => s.push(fill(1)),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
  );
  assert.equal(s.unreadAtFailure, false);
  // one big chunk: refused after the first 8226, the rest counts as unread (RST)
  const big = new MagicScanner(magic);
  assert.throws(() => big.push(fill(MAGIC_SEARCH_LIMIT + 1)));
  assert.equal(big.unreadAtFailure, true);
});

test('obfs3 server: a public key outside the group is garbage, not a crash; a client refuses it', () => {
  const server = new Obfs3Handshake({ initiator: false });
  const r = server.receive(new Uint8Array(192)); // 0
  assert.ok(r !== null);
  const client = new Obfs3Handshake({ initiator: true });
  assert.throws(
    () => client.receive(new Uint8Array(192).fill(0xff)),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
  );
});

// ------------------------------------------------------------------ over sockets

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function echoServer(handshakeTimeoutMs?: number): Promise<{ port: number; socks: Socket[] }> {
  const f = await obfs3.createServer(
    handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs },
  );
  const socks: Socket[] = [];
  const server = createServer((sock) => {
    socks.push(sock);
    f.accept(sock).then(
      (st) => {
        st.on('error', () => {});
        st.pipe(st);
      },
      () => {},
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, socks };
}

test('obfs3 steppe client and server: 4 MiB echo, and 16 concurrent connections', async () => {
  const { port } = await echoServer();
  const r = await echoTransfer(await obfs3.dial({ host: '127.0.0.1', port }), 4 << 20);
  assert.equal(r.receivedSha, r.sentSha);
  const rs = await Promise.all(
    Array.from({ length: 16 }, async () =>
      echoTransfer(await obfs3.dial({ host: '127.0.0.1', port }), 64 << 10),
    ),
  );
  for (const x of rs) assert.equal(x.receivedSha, x.sentSha);
});

test('obfs3 server: answers any connection with 192-4289 bytes, closes (FIN) when no key comes in time', async () => {
  const { port } = await echoServer(300);
  const got = await new Promise<{ bytes: number; how: string }>((resolve) => {
    const s = connect(port, '127.0.0.1');
    let bytes = 0;
    let how = 'open';
    s.on('data', (d) => (bytes += d.length));
    s.on('end', () => (how = 'fin'));
    s.on('error', (e: NodeJS.ErrnoException) => (how = e.code ?? 'error'));
    s.on('close', () => resolve({ bytes, how }));
    s.on('connect', () => s.write(randomBytes(100)));
  });
  assert.equal(got.how, 'fin');
  assert.ok(got.bytes >= 192 && got.bytes <= 192 + MAX_SEND_PADDING, `${got.bytes} bytes`);
});

test('obfs3 client: a server that is not obfs3 fails the dial, not the process', async () => {
  const silent = createServer((s) => s.on('data', () => s.end()));
  servers.push(silent);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  await assert.rejects(
    obfs3.dial({ host: '127.0.0.1', port: (silent.address() as AddressInfo).port }),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_EOF',
  );
});
