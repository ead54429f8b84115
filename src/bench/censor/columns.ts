import type { NationalCa } from './mitm/national-ca.js';
import { activeProber } from './models/active-prober.js';
import { entropyFirstPacket } from './models/entropy-first-packet.js';
import { gfwFet2023 } from './models/gfw-fet-2023.js';
import { ipBlocklist } from './models/ip-blocklist.js';
import { kz2012Tls } from './models/kz-2012-tls.js';
import { mitmNationalCa } from './models/mitm-national-ca.js';
import { obfs2Magic } from './models/obfs2-magic.js';
import { sniBlocklist } from './models/sni-blocklist.js';
import { torTlsClientHello } from './models/tor-tls-clienthello.js';
import { volumeFreeze } from './models/volume-freeze.js';
import type { Endpoint, RunningTraffic } from './traffic/types.js';
import type { CensorModel } from './types.js';

/** What a column needs to build its censor for one row. */
export interface ColumnEnv {
  /** The server under test (the middlebox's upstream). */
  readonly target: Endpoint;
  readonly traffic: RunningTraffic;
  readonly nationalCa: () => Promise<NationalCa>;
}

/**
 * One column of the matrix: a censor configuration. `deterministic` cells are judged from five
 * sessions; `probabilistic` ones from many seeded flows (rate and binomial interval); `prober`
 * ones from sessions after the prober has judged the endpoint.
 */
export interface CensorColumn {
  readonly id: string;
  readonly label: string;
  readonly kind: 'deterministic' | 'probabilistic' | 'prober';
  /** The source, one line, for the report. */
  readonly source: string;
  build(env: ColumnEnv): Promise<CensorModel[]> | CensorModel[];
}

export const COLUMNS: readonly CensorColumn[] = [
  {
    id: 'ip-blocklist',
    label: 'ip-blocklist',
    kind: 'deterministic',
    source: 'address blocking of the server endpoint (Russia 2021 default bridges, GFW IP:port)',
    build: (e) => [ipBlocklist({ list: [`${e.target.host}:${e.target.port}`] })],
  },
  {
    id: 'kz-2012-cke',
    label: 'kz-2012 cke',
    kind: 'deterministic',
    source: 'Tor blog 2012-02-16: KazTransCom drops the TLS ClientKeyExchange',
    build: () => [kz2012Tls({ variant: 'cke' })],
  },
  {
    id: 'kz-2012-tor-sh',
    label: 'kz-2012 tor-SH',
    kind: 'deterministic',
    source: "Tor blog 2012-03-02: something unique in the Tor relay's ServerHello",
    build: () => [kz2012Tls({ variant: 'tor-serverhello' })],
  },
  {
    id: 'tor-tls-clienthello',
    label: 'tor-tls-CH',
    kind: 'deterministic',
    source: "Tor's random www.<base32>.com SNI (GFW 2011, Ethiopia 2012 ClientHello triggers)",
    build: () => [torTlsClientHello()],
  },
  {
    id: 'obfs2-magic',
    label: 'obfs2-magic',
    kind: 'deterministic',
    source: 'obfs2 header decrypted with the key derived from its on-wire seed',
    build: () => [obfs2Magic()],
  },
  {
    id: 'gfw-fet-2023',
    label: 'gfw-fet-2023',
    kind: 'probabilistic',
    source: 'Wu et al., USENIX Security 2023: Ex1-Ex5, p = 0.263, 180 s residual on the 3-tuple',
    build: () => [gfwFet2023()],
  },
  {
    id: 'entropy-first-packet',
    label: 'entropy-first-pkt',
    kind: 'deterministic',
    source: 'Wang et al., CCS 2015: first-packet entropy with a 149-byte length gate',
    build: () => [entropyFirstPacket()],
  },
  {
    id: 'active-prober',
    label: 'active-prober',
    kind: 'prober',
    source: 'GFW active probing (Ensafi 2015, Alice 2020, Frolov 2020): unauthenticated probe set',
    build: (e) => [
      activeProber({ on: 'allNewEndpoints', probeTarget: () => e.target, probeSet: 'quick' }),
    ],
  },
  {
    id: 'active-prober-bridge-line',
    label: 'prober+bridge line',
    kind: 'prober',
    source: 'a prober that knows the bridge line (Geedge obfs4_verify, enumerated bridges)',
    build: (e) => [
      activeProber({
        on: 'allNewEndpoints',
        probeTarget: () => e.target,
        probeSet: 'quick',
        knowsBridgeLine: true,
        ...(e.traffic.authenticatedProbe
          ? { authenticatedProbe: e.traffic.authenticatedProbe }
          : {}),
      }),
    ],
  },
  {
    id: 'mitm-national-ca',
    label: 'mitm-national-ca',
    kind: 'deterministic',
    source: 'Kazakhstan 2019: SNI on the 37-domain list is intercepted with a Qaznet-style chain',
    build: async (e) => [mitmNationalCa({ ca: await e.nationalCa() })],
  },
  {
    id: 'sni-blocklist',
    label: 'sni-blocklist',
    kind: 'deterministic',
    source:
      'SNI filtering (GFW, 90 s on the 3-tuple; Kazakhstan 2024 times out after the ClientHello)',
    build: () => [sniBlocklist()],
  },
  {
    id: 'volume-freeze',
    label: 'volume-freeze',
    kind: 'deterministic',
    source: 'Russia 2025 (~16 KB server→client, silent freeze); Kazakhstan 2016 rumour',
    build: () => [volumeFreeze()],
  },
];

export function columnById(id: string): CensorColumn | undefined {
  return COLUMNS.find((c) => c.id === id);
}
