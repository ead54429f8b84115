import { Duplex } from 'node:stream';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { HS_CLIENT_HELLO, TlsDirectionParser } from '../tls/records.js';
import { certificateInfo, parseClientHello } from '../tls/hello.js';
import { hexPrefix } from '../stats.js';
import { LeafForger } from '../mitm/forge.js';
import type { NationalCa } from '../mitm/national-ca.js';
import type { Socket } from 'node:net';
import type { CensorModel, Decision, InterceptHandoff } from '../types.js';

/** The 37 SNIs that triggered interception in July 2019 (Censored Planet). */
export const KZ_2019_TARGETS: readonly string[] = [
  'allo.google.com',
  'android.com',
  'cdninstagram.com',
  'dns.google.com',
  'docs.google.com',
  'encrypted.google.com',
  'facebook.com',
  'goo.gl',
  'google.com',
  'groups.google.com',
  'hangouts.google.com',
  'instagram.com',
  'mail.google.com',
  'mail.ru',
  'messages.android.com',
  'messenger.com',
  'news.google.com',
  'ok.ru',
  'picasa.google.com',
  'plus.google.com',
  'rukoeb.com',
  'sites.google.com',
  'sosalkino.tv',
  'tamtam.chat',
  'translate.google.com',
  'twitter.com',
  'video.google.com',
  'vk.com',
  'vk.me',
  'vkuseraudio.net',
  'vkuservideo.net',
  'www.facebook.com',
  'www.google.com',
  'www.instagram.com',
  'www.messenger.com',
  'www.youtube.com',
  'youtube.com',
];

/**
 * The upstream ClientHello of the interception box was rare (tlsfingerprint.io f09427b5aaf9304b;
 * "ClientHello 1.2, 13 cipher suites"). This list gives a TLS 1.2 hello with 13 suites.
 */
export const MITM_UPSTREAM_CIPHERS = [
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-SHA384',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-RSA-AES256-SHA',
  'ECDHE-RSA-AES128-SHA',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
  'AES256-SHA256',
  'AES256-SHA',
  'AES128-SHA',
].join(':');

export interface MitmOptions {
  /** The national CA (create with createNationalCa). */
  readonly ca: NationalCa;
  /** Exact SNIs to intercept, or "*" for every TLS flow (the 2015 "all HTTPS" plan). */
  readonly targets?: readonly string[] | '*';
  /** How many plaintext bytes per direction are kept as evidence. */
  readonly plaintextBytes?: number;
  /** Upstream handshake timeout, ms. */
  readonly upstreamTimeoutMs?: number;
}

/**
 * Kazakhstan 2019 ("Qaznet Trust Network"): TLS flows whose SNI is on the target list are
 * terminated with a forged certificate chaining to the national root, re-encrypted upstream, and
 * the plaintext in between is logged. A client that does not trust the national root fails its
 * handshake (blocked, but safe); one that does has its plaintext read (a leak).
 */
export function mitmNationalCa(opts: MitmOptions): CensorModel {
  const name = 'mitm-national-ca';
  const targets = opts.targets ?? KZ_2019_TARGETS;
  const targetSet = targets === '*' ? undefined : new Set(targets.map((t) => t.toLowerCase()));
  const forger = new LeafForger(opts.ca);
  const keep = opts.plaintextBytes ?? 4096;
  const live = new Set<Duplex | Socket>();

  return {
    name,
    inspect() {
      const p = new TlsDirectionParser();
      let done = false;
      return {
        onChunk(chunk) {
          if (done || chunk.dir !== 'c2s') return undefined;
          const ev = p.push(chunk.bytes);
          const hs = ev.handshakes[0];
          if (p.notTls || hs === undefined) {
            done = true;
            return {
              model: name,
              rule: p.notTls ? 'notTls' : 'splitClientHello',
              verdict: 'allow',
              action: 'none',
              evidence: { firstByte: chunk.bytes[0] ?? null },
            };
          }
          done = true;
          const ch = hs.msgType === HS_CLIENT_HELLO ? parseClientHello(hs.body) : undefined;
          const sni = ch?.sni?.toLowerCase();
          const hit = sni !== undefined && (targetSet === undefined || targetSet.has(sni));
          if (!hit) {
            return {
              model: name,
              rule: 'sniNotTargeted',
              verdict: 'allow',
              action: 'none',
              evidence: { sni: sni ?? null },
            };
          }
          return {
            model: name,
            rule: 'sniTargeted',
            verdict: 'flag',
            action: 'intercept',
            evidence: { sni },
          };
        },
      };
    },
    intercept(h: InterceptHandoff) {
      void runIntercept(h, forger, opts, keep, live, name);
    },
    close() {
      for (const s of live) s.destroy();
      live.clear();
    },
  };
}

async function runIntercept(
  h: InterceptHandoff,
  forger: LeafForger,
  opts: MitmOptions,
  keep: number,
  live: Set<Duplex | Socket>,
  name: string,
): Promise<void> {
  const { client } = h;
  live.add(client);
  client.once('close', () => live.delete(client));
  const sni = typeof h.decision.evidence.sni === 'string' ? h.decision.evidence.sni : '';
  const note = (
    rule: string,
    verdict: Decision['verdict'],
    evidence: Record<string, unknown>,
    dir: 'c2s' | 's2c',
  ): void => h.record({ model: name, rule, verdict, action: 'none', evidence }, dir);

  // 1. Our own connection upstream, with the box's distinctive hello, to fetch the real leaf.
  const upstream = tlsConnect({
    host: h.target.host,
    port: h.target.port,
    servername: sni,
    rejectUnauthorized: false,
    minVersion: 'TLSv1',
    maxVersion: 'TLSv1.2',
    ciphers: MITM_UPSTREAM_CIPHERS,
  });
  live.add(upstream);
  upstream.once('close', () => live.delete(upstream));
  upstream.on('error', () => {});
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('upstream TLS timeout')),
        opts.upstreamTimeoutMs ?? 10_000,
      );
      upstream.once('secureConnect', () => {
        clearTimeout(timer);
        resolve();
      });
      upstream.once('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } catch (e) {
    note('upstreamFailed', 'block', { error: String(e) }, 's2c');
    client.destroy();
    upstream.destroy();
    return;
  }
  const realDer = upstream.getPeerX509Certificate()?.raw;
  if (realDer === undefined) {
    note('upstreamNoCertificate', 'block', {}, 's2c');
    client.destroy();
    upstream.destroy();
    return;
  }

  // 2. The forged leaf.
  const forged = await forger.forge(realDer);
  const real = certificateInfo(realDer);
  const fake = certificateInfo(forged.der);
  note(
    'forgedCertificate',
    'flag',
    {
      sni,
      subjectCN: fake?.subjectCN ?? null,
      issuerCN: fake?.issuerCN ?? null,
      realSerial: real?.serialNumber ?? null,
      forgedSerial: fake?.serialNumber ?? null,
      realNotBefore: real?.notBefore.toISOString() ?? null,
      forgedNotBefore: fake?.notBefore.toISOString() ?? null,
      realSha256: real?.sha256 ?? null,
    },
    's2c',
  );

  let seenC2S = 0;
  let seenS2C = 0;
  // 3. Terminate the client's TLS. The hello already read is replayed through a small duplex so
  // that node:tls sees the whole byte stream.
  const bridge = new Duplex({
    read() {
      client.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (client.destroyed) cb();
      else client.write(chunk, () => cb());
    },
    final(cb) {
      client.end();
      cb();
    },
  });
  bridge.push(h.head);
  client.on('data', (d: Buffer) => {
    if (!bridge.push(d)) client.pause();
  });
  client.on('end', () => bridge.push(null));
  client.once('close', () => {
    bridge.destroy();
    upstream.destroy();
  });
  const tlsServer = new TLSSocket(bridge, {
    isServer: true,
    key: forged.keyPem,
    cert: forged.certPem + opts.ca.intermediate.certPem,
  });
  live.add(tlsServer);
  tlsServer.once('close', () => live.delete(tlsServer));
  // A client that distrusts the chain may fail with an alert, or (node, TLS 1.3) complete the
  // handshake and hang up at once; either way it never sends plaintext.
  let lastError: string | undefined;
  tlsServer.on('error', (e: Error) => {
    lastError = e.message;
    client.destroy();
    upstream.destroy();
  });
  tlsServer.once('close', () => {
    if (seenC2S === 0) {
      note('clientRejected', 'block', { error: lastError ?? 'closed without sending data' }, 'c2s');
    }
  });

  // 4. Relay the plaintext, logging what the censor can now read.
  let textC2S = Buffer.alloc(0);
  let loggedRequest = false;
  tlsServer.on('data', (d: Buffer) => {
    if (seenC2S < keep) {
      textC2S = Buffer.concat([textC2S, d.subarray(0, keep - seenC2S)]);
      if (!loggedRequest) {
        const req = parseHttpHead(textC2S);
        if (req !== undefined || textC2S.length >= keep) {
          loggedRequest = true;
          note(
            'plaintext',
            'flag',
            req ?? { bytes: textC2S.length, hex: hexPrefix(textC2S, 64) },
            'c2s',
          );
        }
      }
    }
    if (seenC2S === 0) {
      note('clientAccepted', 'flag', { sni, protocol: tlsServer.getProtocol() }, 'c2s');
    }
    seenC2S += d.length;
    upstream.write(d);
  });
  upstream.on('data', (d: Buffer) => {
    if (seenS2C === 0) {
      note(
        'plaintext',
        'flag',
        { firstLine: d.subarray(0, 200).toString('latin1').split('\r\n')[0] ?? '' },
        's2c',
      );
    }
    seenS2C += d.length;
    if (!tlsServer.destroyed) tlsServer.write(d);
  });
  tlsServer.on('end', () => upstream.end());
  upstream.on('end', () => tlsServer.end());
  upstream.once('close', () => tlsServer.destroy());
}

/** The request line and headers of an HTTP/1.x request, once they are complete. */
export function parseHttpHead(
  b: Uint8Array,
): { requestLine: string; headers: Record<string, string> } | undefined {
  const text = Buffer.from(b).toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [requestLine = '', ...lines] = text.slice(0, end).split('\r\n');
  if (!/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(requestLine)) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { requestLine, headers };
}
