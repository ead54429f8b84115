/**
 * Rows for steppe's webtunnel (censors.md §6.4 "webtunnel-like"): TLS 1.3 to a server that
 * terminates TLS itself with a test-CA chain for the SNI and serves a real cover site, then the
 * HTTP upgrade on a secret path, then an echo.
 *
 * - `webtunnel`: a benign SNI;
 * - `webtunnel-kz-sni`: an SNI on Kazakhstan's 2019 interception list, the client trusts the
 *   national root ("installed the security certificate") but pins the bridge's chain (cert=):
 *   an interception is refused before the upgrade (blocked, but safe);
 * - `webtunnel-kz-sni-trusting`: the same without a pin: the interceptor reads the secret path
 *   (the bench logs the leak).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webtunnel, type WebtunnelServerFactory } from '../../../transports/webtunnel/index.js';
import { chainHash } from '../../../transports/webtunnel/pin.js';
import { testServerChain } from '../certs.js';
import { connectTcp, echoCheck, runAttempt, serveEcho } from './session.js';
import type { TrafficKind } from './types.js';

const SECRET = '/wt-7Qk2vN9xLp';
const COVER =
  '<!doctype html><html><head><title>Tea &amp; Felt</title></head><body><h1>Tea &amp; Felt</h1><p>Felt boots and green tea since 1998.</p></body></html>\n';

export interface SteppeWebtunnelOptions {
  readonly id: string;
  readonly label: string;
  readonly sni: string;
  /** The client pins the server's chain (cert=). */
  readonly pin: boolean;
  /** The client also trusts the bench's national root. */
  readonly trustNationalRoot: boolean;
}

export function steppeWebtunnel(o: SteppeWebtunnelOptions): TrafficKind {
  return {
    id: o.id,
    label: o.label,
    group: 'transport',
    available: () => Promise.resolve(true),
    async start(env) {
      const chain = await testServerChain([o.sni]);
      const dir = await mkdtemp(join(tmpdir(), 'steppe-bench-webtunnel-'));
      await writeFile(join(dir, 'cert.pem'), chain.leaf.certPem);
      await writeFile(join(dir, 'key.pem'), chain.leaf.keyPem);
      await writeFile(join(dir, 'index.html'), COVER);
      const url = `https://${o.sni}${SECRET}`;
      const factory: WebtunnelServerFactory = await webtunnel.createServer({
        stateDir: join(dir, 'state'),
        url,
        tlsCert: join(dir, 'cert.pem'),
        tlsKey: join(dir, 'key.pem'),
        cover: dir,
      });
      const sockets = new Set<Socket>();
      const server: Server = createServer({ allowHalfOpen: true }, (s) => {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
        s.on('error', () => {});
        factory.accept(s).then(serveEcho, () => {});
      });
      server.on('error', () => {});
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const target = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
      const ca = [
        chain.ca.certPem,
        ...(o.trustNationalRoot && env?.nationalRootPem ? [env.nationalRootPem] : []),
      ];
      const cert = o.pin ? chainHash([chain.leaf.der]).toString('base64') : undefined;
      // The lab is loopback: the client's refusal of private bridge addresses is opted out of here.
      const dialOpts = { url, ca, allowPrivate: true, ...(cert === undefined ? {} : { cert }) };
      return {
        target,
        description: `${factory.bridgeLine()}${cert === undefined ? '' : ` cert=${cert}`}${o.trustNationalRoot ? '; client trusts the national root' : ''}`,
        attempt: (via, a) =>
          runAttempt(a.timeoutMs, async ({ signal, stage, own, count }) => {
            const sock = await connectTcp(via, { signal, localAddress: a.localAddress });
            own(sock);
            stage('handshake');
            const stream = await webtunnel.dial({ ...dialOpts, socket: sock, signal });
            own(stream);
            stage('data');
            const r = await echoCheck(stream, a.bytes ?? 32 * 1024, signal);
            count(r.sent, r.received);
          }),
        authenticatedProbe: async (t, signal) => {
          try {
            const s = await webtunnel.dial({ ...dialOpts, addr: `${t.host}:${t.port}`, signal });
            s.destroy();
            return true;
          } catch {
            return false;
          }
        },
        async close() {
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => server.close(() => r()));
          await factory.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** The three webtunnel rows of the matrix. */
export const WEBTUNNEL_ROWS: readonly TrafficKind[] = [
  steppeWebtunnel({
    id: 'webtunnel',
    label: 'webtunnel (steppe), benign SNI',
    sni: 'tea.example.org',
    pin: false,
    trustNationalRoot: false,
  }),
  steppeWebtunnel({
    id: 'webtunnel-kz-sni',
    label: 'webtunnel (steppe), SNI vk.com, national root installed, cert= pin',
    sni: 'vk.com',
    pin: true,
    trustNationalRoot: true,
  }),
  steppeWebtunnel({
    id: 'webtunnel-kz-sni-trusting',
    label: 'webtunnel (steppe), SNI vk.com, national root installed, no pin',
    sni: 'vk.com',
    pin: false,
    trustNationalRoot: true,
  }),
];
