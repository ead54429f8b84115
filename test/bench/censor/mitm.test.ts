import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createNationalCa } from '../../../src/bench/censor/mitm/national-ca.js';
import { LeafForger, FORGED_VALIDITY_SHIFT_MS } from '../../../src/bench/censor/mitm/forge.js';
import { testServerChain, x509 } from '../../../src/bench/censor/certs.js';
import { mitmNationalCa } from '../../../src/bench/censor/models/mitm-national-ca.js';
import { Pipeline } from '../../../src/bench/censor/pipeline.js';
import { Middlebox } from '../../../src/bench/censor/middlebox.js';
import { waitFor } from '../helpers.js';

const caP = createNationalCa();

test('the national root and intermediate look like 2019 Qaznet (names, sizes, validity)', async () => {
  const ca = await caP;
  const root = new X509Certificate(ca.root.der);
  assert.equal(root.subject, 'C=KZ\nCN=Qaznet Trust Network');
  assert.equal(root.issuer, root.subject);
  assert.equal(root.publicKey.asymmetricKeyDetails?.modulusLength, 4096);
  const years = (Date.parse(root.validTo) - Date.parse(root.validFrom)) / (365.25 * 864e5);
  assert.ok(Math.abs(years - 30) < 0.1, `${years}`);
  assert.ok(root.ca);
  const inter = new X509Certificate(ca.intermediate.der);
  assert.equal(inter.subject, 'C=KZ\nCN=Security Certificate');
  assert.equal(inter.issuer, root.subject);
  assert.equal(inter.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.ok(inter.verify(root.publicKey));
});

test('a forged leaf copies subject and SAN, shifts validity −6 h, changes the serial tail only, has no other extensions', async () => {
  const ca = await caP;
  const { leaf } = await testServerChain(['vk.com', 'www.vk.com']);
  const forger = new LeafForger(ca);
  const a = await forger.forge(leaf.der);
  const b = await forger.forge(leaf.der);
  const real = new X509Certificate(leaf.der);
  const fake = new X509Certificate(a.der);
  assert.equal(fake.subject, real.subject);
  assert.equal(fake.subjectAltName, real.subjectAltName);
  assert.equal(fake.issuer, 'C=KZ\nCN=Security Certificate');
  assert.ok(fake.verify(new X509Certificate(ca.intermediate.der).publicKey));
  assert.equal(Date.parse(real.validFrom) - Date.parse(fake.validFrom), FORGED_VALIDITY_SHIFT_MS);
  assert.equal(Date.parse(real.validTo) - Date.parse(fake.validTo), FORGED_VALIDITY_SHIFT_MS);
  assert.equal(fake.serialNumber.length, real.serialNumber.length);
  assert.equal(fake.serialNumber.slice(0, -8), real.serialNumber.slice(0, -8));
  assert.notEqual(fake.serialNumber.slice(-8), real.serialNumber.slice(-8));
  // A new key, host-specific: the same for the same upstream, not the upstream's.
  assert.notEqual(
    fake.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
    real.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  );
  assert.equal(
    new X509Certificate(b.der).publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
    fake.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  );
  assert.equal(fake.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  // Extensions: the real leaf has basicConstraints, SAN and EKU; the forgery only SAN.
  const exts = new x509.X509Certificate(a.der).extensions.map((e) => e.type);
  assert.deepEqual([...exts].map(String), ['2.5.29.17']);
  assert.ok(new x509.X509Certificate(leaf.der).extensions.length >= 3);
});

async function httpsServer(names: string[]) {
  const chain = await testServerChain(names);
  const srv = createServer({ key: chain.leaf.keyPem, cert: chain.leaf.certPem }, (req, res) => {
    res.end(`hello ${req.url}`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as AddressInfo).port, ca: chain.ca };
}

function get(port: number, sni: string, ca: string[], path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: sni, ca }, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${sni}\r\nConnection: close\r\n\r\n`);
    });
    let body = '';
    s.on('data', (d: Buffer) => (body += d.toString()));
    s.on('end', () => resolve(body));
    s.on('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('timeout')));
  });
}

test('targeted SNI: a client trusting the national root is intercepted and its request logged; one that does not fails safely', async () => {
  const ca = await caP;
  const up = await httpsServer(['vk.com']);
  const pipe = new Pipeline([mitmNationalCa({ ca })]);
  const mb = await Middlebox.listen({
    target: { host: '127.0.0.1', port: up.port },
    pipeline: pipe,
  });
  try {
    // Trusting client: the forged chain validates against the national root.
    const body = await get(mb.address.port, 'vk.com', [ca.root.certPem], '/secret-path-42');
    assert.match(body, /hello \/secret-path-42/);
    const plain = pipe.log.records().find((r) => r.rule === 'plaintext' && r.direction === 'c2s');
    assert.equal(plain?.evidence.requestLine, 'GET /secret-path-42 HTTP/1.1');
    assert.ok(pipe.log.records().some((r) => r.rule === 'forgedCertificate'));
    // Non-trusting client (trusts only the real server's CA): handshake fails.
    await assert.rejects(get(mb.address.port, 'vk.com', [up.ca.certPem], '/x'));
    assert.ok(await waitFor(() => pipe.log.records().some((r) => r.rule === 'clientRejected')));
    // Untargeted SNI: passes through untouched, the real certificate validates.
    const other = await get(mb.address.port, 'example.com', [up.ca.certPem], '/y').catch(
      (e: Error) => e.message,
    );
    // The test server's certificate is for vk.com, so a strict client rejects example.com; the
    // point is that it saw the *real* chain (an altname error, not an unknown-issuer error).
    assert.match(String(other), /altnames|hello \/y/);
  } finally {
    await mb.close();
    up.srv.close();
  }
});
