import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { bytesToHex, concatBytes, hexToBytes } from '../../../src/crypto/bytes.js';
import { randomBytes } from '../../../src/crypto/random.js';
import { InvalidArgsError, PtError } from '../../../src/errors.js';
import { MAX_PADDING } from '../../../src/transports/obfs2/constants.js';
import { Obfs2Codec } from '../../../src/transports/obfs2/codec.js';
import { Obfs2Handshake } from '../../../src/transports/obfs2/handshake.js';
import {
  dataKeys,
  obfs2,
  obfs2Transport,
  paddingKey,
  type Obfs2ServerOptions,
} from '../../../src/transports/obfs2/index.js';
import { sharedSecret, type CtrKey } from '../../../src/transports/obfs2/keys.js';
import { ptArgs } from '../../../src/transports/types.js';
import { loadVectors } from '../../crypto/vectors.js';
import { sweep } from '../../_support/sweep.js';
import { echoTransfer } from '../../_support/transfer.js';

interface KeySet {
  initPad: string;
  respPad: string;
  initData: string;
  respData: string;
  initHello: string;
}
interface Obfs2Vectors {
  obfs2: {
    initSeed: string;
    respSeed: string;
    plain: KeySet;
    secret: KeySet & { secret: string; iterations: number };
    secretFew: KeySet & { secret: string; iterations: number };
  };
}
const v = loadVectors<Obfs2Vectors>('obfs23.json').obfs2;
const hex = (k: CtrKey): string => bytesToHex(concatBytes(k.key, k.counter));

for (const [name, set] of [
  ['no shared secret', v.plain],
  ['shared secret, 3 rounds', v.secretFew],
  ['shared secret, 100000 rounds (the Python default)', v.secret],
] as const) {
  test(`obfs2 KAT, ${name}: padding keys, data keys, the initiator's hello`, () => {
    const secret = 'secret' in set ? sharedSecret(set.secret, set.iterations) : undefined;
    const init = hexToBytes(v.initSeed);
    const resp = hexToBytes(v.respSeed);
    assert.equal(hex(paddingKey(true, init, secret)), set.initPad);
    assert.equal(hex(paddingKey(false, resp, secret)), set.respPad);
    const d = dataKeys(init, resp, secret);
    assert.equal(hex(d.initiator), set.initData);
    assert.equal(hex(d.responder), set.respData);
    const hs = new Obfs2Handshake({ initiator: true, seed: init, padLength: 5, secret });
    const hello = hs.hello();
    // the padding bytes are random; the seed and the encrypted 8-byte header are fixed
    assert.equal(bytesToHex(hello.subarray(0, 24)), set.initHello.slice(0, 48));
    assert.equal(hello.length, 16 + 8 + 5);
  });
}

function exchange(clientPad: number, serverPad: number, secrets: [string?, string?] = []) {
  const [cs, ss] = secrets.map((s) => (s === undefined ? undefined : sharedSecret(s, 2)));
  const client = new Obfs2Handshake({ initiator: true, padLength: clientPad, secret: cs });
  const server = new Obfs2Handshake({ initiator: false, padLength: serverPad, secret: ss });
  const trailing = randomBytes(7);
  const sr = server.receive(concatBytes(client.hello(), trailing));
  const cr = client.receive(server.hello());
  return { sr, cr, trailing };
}

test('obfs2 handshake: both sides agree at every padding length, trailing bytes are data', () => {
  for (const pad of sweep(0, MAX_PADDING, 48)) {
    const { sr, cr, trailing } = exchange(pad, MAX_PADDING - pad);
    assert.ok(sr && cr);
    assert.deepEqual(sr.keys, cr.keys);
    assert.deepEqual(sr.leftover, trailing);
    assert.equal(cr.leftover.length, 0);
    const tx = new Obfs2Codec(cr.keys, true);
    const rx = new Obfs2Codec(sr.keys, false);
    const data = randomBytes(300);
    assert.deepEqual(rx.decode(tx.encode(data)), data);
  }
});

test('obfs2 handshake: byte-by-byte input is the same as one piece', () => {
  const client = new Obfs2Handshake({ initiator: true, padLength: 40 });
  const server = new Obfs2Handshake({ initiator: false });
  const hello = client.hello();
  let r = null;
  for (let i = 0; i < hello.length; i++) {
    r = server.receive(hello.subarray(i, i + 1));
    if (i < hello.length - 1) assert.equal(r, null, `done early at byte ${i}`);
  }
  assert.ok(r);
});

test('obfs2 shared secret: the same secret connects, a different or missing one is refused', () => {
  assert.ok(exchange(10, 10, ['s3cret', 's3cret']).sr);
  for (const pair of [
    ['s3cret', 'other'],
    ['s3cret', undefined],
    [undefined, 's3cret'],
  ] as const) {
    assert.throws(
      () => exchange(10, 10, [pair[0], pair[1]]),
      (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
    );
  }
});

test('obfs2 header checks: wrong magic and padding over 8192, with the unread-bytes flag', () => {
  const server = new Obfs2Handshake({ initiator: false });
  assert.throws(
    () => server.receive(new Uint8Array(24)),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
  );
  assert.equal(server.unreadAtFailure, false);
  const s2 = new Obfs2Handshake({ initiator: false });
  assert.throws(() => s2.receive(new Uint8Array(25)));
  assert.equal(s2.unreadAtFailure, true);
  // a well-formed header announcing 8193 bytes of padding
  const seed = randomBytes(16);
  const k = paddingKey(true, seed, undefined);
  const plain = new Uint8Array(8);
  new DataView(plain.buffer).setUint32(0, 0x2bf5ca7e);
  new DataView(plain.buffer).setUint32(4, MAX_PADDING + 1);
  const hdr = createCipheriv('aes-128-ctr', k.key, k.counter).update(plain);
  assert.throws(
    () => new Obfs2Handshake({ initiator: false }).receive(concatBytes(seed, hdr)),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_TOO_LONG',
  );
});

test('obfs2 args: shared-secret= must not be empty; other keys are ignored as obfs4proxy does', async () => {
  const c = obfs2Transport.createClient();
  assert.throws(() => c.parseArgs(ptArgs({ 'shared-secret': '' })), InvalidArgsError);
  assert.deepEqual(c.parseArgs(ptArgs({ cert: 'x' })), {});
  await assert.rejects(
    obfs2Transport.createServer({
      stateDir: '/nonexistent',
      options: ptArgs({ 'shared-secret': '' }),
    }),
    (e: Error) => e instanceof InvalidArgsError && /shared-secret/.test(e.message),
  );
});

const servers: Server[] = [];
after(() => servers.forEach((s) => s.close()));

async function echoServer(
  opts: Obfs2ServerOptions & { sharedSecret?: string } = {},
): Promise<number> {
  const f = await obfs2.createServer(opts);
  const server = createServer((sock) => {
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
  return (server.address() as AddressInfo).port;
}

test('obfs2 steppe client and server: 4 MiB echo, 16 concurrent connections', async () => {
  const port = await echoServer();
  const r = await echoTransfer(await obfs2.dial({ host: '127.0.0.1', port }), 4 << 20);
  assert.equal(r.receivedSha, r.sentSha);
  const rs = await Promise.all(
    Array.from({ length: 16 }, async () =>
      echoTransfer(await obfs2.dial({ host: '127.0.0.1', port }), 64 << 10),
    ),
  );
  for (const x of rs) assert.equal(x.receivedSha, x.sentSha);
});

test('obfs2 with a shared secret (100000 rounds) over sockets; the wrong secret is refused', async () => {
  const port = await echoServer({ sharedSecret: 'correct horse' });
  const r = await echoTransfer(
    await obfs2.dial({ host: '127.0.0.1', port, sharedSecret: 'correct horse' }),
    64 << 10,
  );
  assert.equal(r.receivedSha, r.sentSha);
  await assert.rejects(
    obfs2.dial({ host: '127.0.0.1', port, sharedSecret: 'wrong horse' }),
    (e: PtError) => e.code === 'ERR_HANDSHAKE_INVALID',
  );
});
