/**
 * The web front of the webtunnel phase: one real nginx (Debian's) that terminates TLS for two
 * things at once, so that both pay the same TLS and the same proxy:
 *
 * - an http server whose secret path is upgraded and proxied to steppe's webtunnel server (the
 *   deployment the README documents: nginx in front, steppe's server behind it in plain HTTP);
 * - a stream server that decrypts TLS and forwards the bytes to the sink: a plain TLS pipe,
 *   the floor of any transport that hides in TLS behind this web server.
 *
 * The certificate is made for the run; the webtunnel client pins it (cert=), the pipe's client
 * (the load generator itself) checks it against the same pin.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { issue, serverExtensions } from '../../src/bench/censor/certs.js';
import { chainHash } from '../../src/transports/webtunnel/pin.js';
import { startNginx, type Nginx } from '../../test/_support/nginx.js';
import { readmeNginxLocation } from '../../test/transports/webtunnel/readme-nginx.js';
import type { Target } from './load.js';
import type { Endpoint } from './socks.js';

export const BENCH_HOST = 'bench.steppe.test';
export const WEBTUNNEL_PATH = '/perf-secret';
export const WEBTUNNEL_URL = `https://${BENCH_HOST}${WEBTUNNEL_PATH}`;

/** A certificate for BENCH_HOST on disk, and its webtunnel pin (cert=). */
export interface BenchTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly pin: string;
  remove(): void;
}

export async function makeBenchTls(): Promise<BenchTls> {
  const now = Date.now();
  const leaf = await issue({
    subject: `CN=${BENCH_HOST}`,
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    extensions: serverExtensions([BENCH_HOST]),
  });
  const dir = mkdtempSync(join(tmpdir(), 'steppe-perf-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, leaf.certPem);
  writeFileSync(keyFile, leaf.keyPem);
  return {
    certFile,
    keyFile,
    pin: chainHash([leaf.der]).toString('base64'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsFront {
  /** Where the webtunnel client connects (nginx's https port). */
  readonly https: Endpoint;
  /** nginx's TLS stream port, forwarding to the sink. */
  readonly pipe: Endpoint;
  readonly nginx: Nginx;
  stop(): Promise<void>;
}

/**
 * Starts nginx with the webtunnel location block exactly as README.md gives it to operators (so
 * the bench measures the documented deployment) and the TLS pipe to `sink`. One worker process,
 * so the two rows share one core's worth of nginx the same way.
 */
export async function startTlsFront(
  tls: BenchTls,
  webtunnelServer: Endpoint,
  sink: Endpoint,
): Promise<TlsFront> {
  const certLines = [
    `    ssl_certificate ${tls.certFile};`,
    `    ssl_certificate_key ${tls.keyFile};`,
  ];
  const nginx = await startNginx({
    tls: true,
    workerConnections: 4096,
    server: [
      `    server_name ${BENCH_HOST};`,
      ...certLines,
      await readmeNginxLocation(WEBTUNNEL_PATH, webtunnelServer.port),
      '    location / { return 404; }',
    ].join('\n'),
    stream: [...certLines, `    proxy_pass ${sink.host}:${sink.port};`].join('\n'),
  });
  return {
    https: { host: '127.0.0.1', port: nginx.port },
    pipe: { host: '127.0.0.1', port: nginx.streamPort ?? 0 },
    nginx,
    stop: () => nginx.stop(),
  };
}

/**
 * The load generator speaking TLS itself to nginx's stream port: what a connection through this
 * nginx costs with nothing but TLS (no PT, no SOCKS, no HTTP upgrade). The server's certificate
 * must hash to the run's pin, as the webtunnel client requires.
 */
export function tlsPipeTarget(front: TlsFront, pin: string): Target {
  return {
    label: 'TLS pipe',
    dial: () =>
      new Promise<TLSSocket>((resolve, reject) => {
        const s = tlsConnect({
          host: front.pipe.host,
          port: front.pipe.port,
          servername: BENCH_HOST,
          ALPNProtocols: ['http/1.1'],
          // The certificate is self-signed for the run: checked by its pin below instead.
          rejectUnauthorized: false,
        });
        s.setNoDelay(true);
        s.once('error', reject);
        s.once('secureConnect', () => {
          const der = s.getPeerCertificate().raw;
          if (chainHash([der]).toString('base64') !== pin) {
            s.destroy();
            reject(new Error('TLS pipe: nginx presented a certificate other than the run’s'));
            return;
          }
          s.removeListener('error', reject);
          resolve(s);
        });
      }),
    pids: () => null,
  };
}
