import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { Middlebox } from '../../../src/bench/censor/middlebox.js';
import { ManualClock } from '../../../src/bench/censor/clock.js';
import { kz2012Tls, type Kz2012Options } from '../../../src/bench/censor/models/kz-2012-tls.js';
import {
  torTlsClientHello,
  TOR_CLIENT_SNI,
} from '../../../src/bench/censor/models/tor-tls-clienthello.js';
import {
  torTlsEmulator,
  torClientSni,
  torLinkCertificates,
} from '../../../src/bench/censor/traffic/tor-tls.js';
import { httpsControl } from '../../../src/bench/censor/traffic/controls.js';
import { steppeObfs4 } from '../../../src/bench/censor/traffic/steppe-obfs4.js';
import { HOUR } from '../../../src/bench/censor/certs.js';
import type { CensorModel, Direction } from '../../../src/bench/censor/types.js';
import type { TrafficKind } from '../../../src/bench/censor/traffic/types.js';

type Transcript = Array<{ dir: Direction; bytes: Buffer }>;

/** Records one real session's chunks through a censor-free middlebox. */
async function record(kind: TrafficKind): Promise<Transcript> {
  const t = await kind.start();
  const chunks: Transcript = [];
  const mb = await Middlebox.listen({
    target: t.target,
    pipeline: new Pipeline([]),
    tap: (_f, dir, bytes) => chunks.push({ dir, bytes: Buffer.from(bytes) }),
  });
  try {
    const r = await t.attempt(mb.address, { timeoutMs: 5000, bytes: 2048 });
    assert.ok(r.ok, r.error);
  } finally {
    await mb.close();
    await t.close();
  }
  return chunks;
}

/** Joins each direction's consecutive chunks and re-splits them at the given cut points. */
function resplit(tr: Transcript, cuts: number[]): Transcript {
  const out: Transcript = [];
  for (const c of tr) {
    let rest = c.bytes;
    for (const cut of cuts) {
      if (rest.length <= 1) break;
      const k = 1 + (cut % (rest.length - 1));
      out.push({ dir: c.dir, bytes: rest.subarray(0, k) });
      rest = rest.subarray(k);
    }
    out.push({ dir: c.dir, bytes: rest });
  }
  return out;
}

function run(model: CensorModel, tr: Transcript) {
  const pipe = new Pipeline([model], { clock: new ManualClock() });
  const f = pipe.startFlow({
    id: 1,
    clientIp: 'c',
    clientPort: 1,
    serverIp: 's',
    serverPort: 443,
    startedAt: 0,
  }).flow;
  for (const c of tr) f.onChunk({ dir: c.dir, t: 0, bytes: c.bytes });
  const recs = pipe.log.forFlow(1);
  return {
    blocked: recs.find((r) => r.verdict === 'block'),
    recs,
    c2sOpen: f.isOpen('c2s'),
    s2cOpen: f.isOpen('s2c'),
  };
}

const transcripts = (async () => ({
  tor12: await record(torTlsEmulator('1.2')),
  tor13: await record(torTlsEmulator('1.3')),
  https12: await record(httpsControl({ version: '1.2' })),
  https13: await record(httpsControl({ version: '1.3' })),
  obfs4: await record(steppeObfs4(0)),
}))();

const kz = (o: Kz2012Options) => kz2012Tls(o);

test('kz-2012 cke: blocks any TLS ≤ 1.2 ClientKeyExchange, whatever the record splits', async () => {
  const t = await transcripts;
  fc.assert(
    fc.property(fc.array(fc.nat(5000), { maxLength: 6 }), (cuts) => {
      for (const tr of [t.tor12, t.https12]) {
        const r = run(kz({ variant: 'cke' }), resplit(tr, cuts));
        assert.equal(r.blocked?.rule, 'clientKeyExchange');
        assert.equal(r.c2sOpen || r.s2cOpen, false);
      }
      for (const tr of [t.tor13, t.https13]) {
        const r = run(kz({ variant: 'cke' }), resplit(tr, cuts));
        assert.equal(r.blocked, undefined);
        assert.ok(r.recs.some((x) => x.rule === 'noClientKeyExchange'));
      }
      assert.equal(run(kz({ variant: 'cke' }), resplit(t.obfs4, cuts)).recs[0]?.rule, 'notTls');
    }),
    { numRuns: 25 },
  );
});

test("kz-2012 tor-serverhello: Tor's certificate names (TLS 1.2) drop the client's next flight", async () => {
  const t = await transcripts;
  fc.assert(
    fc.property(fc.array(fc.nat(5000), { maxLength: 6 }), (cuts) => {
      const r = run(kz({ variant: 'tor-serverhello' }), resplit(t.tor12, cuts));
      assert.equal(r.blocked?.rule, 'torCertNames');
      assert.equal(r.blocked?.action, 'dropC2S');
      assert.match(String(r.blocked?.evidence.subjectCN), /^www\.[a-z2-7]{8,20}\.net$/);
      assert.equal(r.c2sOpen, false);
      assert.equal(r.s2cOpen, true);
      assert.equal(
        run(kz({ variant: 'tor-serverhello' }), resplit(t.https12, cuts)).blocked,
        undefined,
      );
    }),
    { numRuns: 25 },
  );
  // TLS 1.3 encrypts the Certificate: only the ServerHello is visible.
  const r13 = run(kz({ variant: 'tor-serverhello' }), t.tor13);
  assert.equal(r13.blocked, undefined);
  assert.ok(r13.recs.some((x) => x.rule === 'tls13CertificateEncrypted'));
  assert.equal(run(kz({ variant: 'tor-serverhello' }), t.obfs4).blocked, undefined);
});

test('kz-2012 tor-serverhello: short certificate lifetimes (Iran 2011) and cipher 0x0039 (Ethiopia 2012)', async () => {
  const { link, identity } = await torLinkCertificates({ lifetimeMs: 2 * HOUR });
  assert.equal(link.cert.notAfter.getTime() - link.cert.notBefore.getTime(), 2 * HOUR);
  assert.match(identity.cert.subject, /^CN=www\.[a-z2-7]{8,20}\.com$/);
  // A TLS 1.2 server flight built by hand: ServerHello (cipher as given) + Certificate.
  const flight = (cipher: number, certs: Uint8Array[]): Buffer => {
    const sh = Buffer.concat([
      Buffer.from([3, 3]),
      Buffer.alloc(32, 1),
      Buffer.from([0, cipher >> 8, cipher & 0xff, 0]),
    ]);
    const list = Buffer.concat(certs.map((c) => Buffer.concat([u24(c.length), c])));
    const cert = Buffer.concat([u24(list.length), list]);
    const hs = Buffer.concat([
      Buffer.from([2]),
      u24(sh.length),
      sh,
      Buffer.from([11]),
      u24(cert.length),
      cert,
    ]);
    return Buffer.concat([Buffer.from([0x16, 3, 3, hs.length >> 8, hs.length & 0xff]), hs]);
  };
  const u24 = (n: number) => Buffer.from([n >> 16, (n >> 8) & 255, n & 255]);
  const shortOnly = kz({ variant: 'tor-serverhello', rules: ['shortLifetime'] });
  assert.equal(
    run(shortOnly, [{ dir: 's2c', bytes: flight(0xc02f, [link.der, identity.der]) }]).blocked?.rule,
    'shortLifetime',
  );
  const r = run(kz({ variant: 'tor-serverhello' }), [
    { dir: 's2c', bytes: flight(0x0039, [link.der]) },
  ]);
  assert.equal(r.blocked?.rule, 'cipher0039');
});

test("tor-tls-clienthello: Tor's random SNI matches; ordinary .org/.ru names and non-TLS do not", async () => {
  for (let i = 0; i < 200; i++) assert.match(torClientSni(), TOR_CLIENT_SNI);
  const t = await transcripts;
  assert.equal(run(torTlsClientHello(), t.tor12).blocked?.rule, 'torSni');
  assert.equal(run(torTlsClientHello(), t.tor13).blocked?.rule, 'torSni');
  assert.equal(run(torTlsClientHello(), t.https13).recs[0]?.rule, 'noMatch');
  assert.equal(run(torTlsClientHello(), t.obfs4).recs[0]?.rule, 'notTls');
  // The collateral the spec warns about: a real .com whose name is only letters.
  assert.match('www.example.com', TOR_CLIENT_SNI);
});
