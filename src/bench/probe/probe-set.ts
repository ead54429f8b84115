import { randomBytes } from 'node:crypto';
import {
  dnsAxfr,
  httpGet,
  modbusReadHolding,
  obfs2Handshake,
  obfs3Handshake,
  obfs4WrongKeyHandshake,
  RANDOM_PROBE_LENGTHS,
  replayVariant,
  s7CotpConnect,
  SSH_BANNER,
  stunBindingRequest,
  tlsClientHello,
} from './payloads.js';
import type { ProbeSpec } from './types.js';

/** Named subsets of censors.md §3.5 / §6.2 (`probeSet`). */
export type ProbeSetName = 'full' | 'quick' | 'frolov2020' | 'gfw2015' | 'ss2020';

export const PROBE_SET_NAMES: readonly ProbeSetName[] = [
  'full',
  'quick',
  'frolov2020',
  'gfw2015',
  'ss2020',
];

export interface ProbeSetOptions {
  /** The first client payload of a legitimate session, for the replay probes R1–R5. */
  readonly recorded?: Uint8Array;
  /** Include O4k (the prober knows the bridge line). */
  readonly withBridgeLine?: boolean;
  /** Host name used by H1/T1/AXFR. */
  readonly host?: string;
}

const raw = (id: string, group: string, payload: Uint8Array): ProbeSpec => ({
  id,
  group,
  kind: 'raw',
  payload,
});

function randomProbes(lengths: readonly number[]): ProbeSpec[] {
  return lengths.map((n) => raw(`R${n}`, 'Rn', randomBytes(n)));
}

function replays(recorded: Uint8Array | undefined): ProbeSpec[] {
  if (recorded === undefined || recorded.length === 0) return [];
  return ([1, 2, 3, 4, 5] as const).map((v) =>
    raw(`R${v}-replay`, 'Rx', replayVariant(recorded, v)),
  );
}

function protocolProbes(host: string): ProbeSpec[] {
  return [
    raw('T1', 'T1', tlsClientHello(host)),
    raw('H1', 'H1', httpGet(host)),
    raw('S1', 'S1', SSH_BANNER),
    raw('STUN', 'S1', stunBindingRequest()),
    raw('AXFR', 'S1', dnsAxfr(host)),
    raw('MODBUS', 'S1', modbusReadHolding()),
    raw('S7', 'S1', s7CotpConnect()),
  ];
}

/** Builds the probes of a named set. Each probe later runs on a fresh connection. */
export function probeSet(name: ProbeSetName, o: ProbeSetOptions = {}): ProbeSpec[] {
  const host = o.host ?? 'www.example.com';
  const e0: ProbeSpec = { id: 'E0', group: 'E0', kind: 'raw' };
  const t2: ProbeSpec = { id: 'T2', group: 'T2', kind: 'tor' };
  const cover: ProbeSpec = { id: 'T1-cover', group: 'T1', kind: 'cover' };
  const o2 = raw('O2', 'O2', obfs2Handshake('Initiator'));
  const o3 = raw('O3', 'O3', obfs3Handshake());
  const o4x = raw('O4x', 'O4x', obfs4WrongKeyHandshake());
  const o4k: ProbeSpec[] = o.withBridgeLine ? [{ id: 'O4k', group: 'O4k', kind: 'auth' }] : [];
  switch (name) {
    case 'full':
      return [
        e0,
        ...randomProbes(RANDOM_PROBE_LENGTHS),
        ...replays(o.recorded),
        ...protocolProbes(host),
        cover,
        t2,
        o2,
        o3,
        o4x,
        ...o4k,
      ];
    case 'quick':
      return [
        e0,
        ...randomProbes([1, 49, 149, 221, 8192, 16385, 65536]),
        ...replays(o.recorded).slice(0, 2),
        raw('T1', 'T1', tlsClientHello(host)),
        raw('H1', 'H1', httpGet(host)),
        cover,
        t2,
        o2,
        o3,
        o4x,
        ...o4k,
      ];
    case 'frolov2020':
      return [e0, ...randomProbes(RANDOM_PROBE_LENGTHS), ...protocolProbes(host), cover];
    case 'gfw2015':
      return [t2, o2, o3, ...randomProbes([1, 8, 16, 49, 221]), ...o4k];
    case 'ss2020':
      return [
        ...replays(o.recorded),
        ...randomProbes([
          7, 8, 9, 11, 12, 13, 15, 16, 17, 21, 22, 23, 32, 33, 34, 40, 41, 42, 48, 49, 50, 221,
        ]),
      ];
  }
}

/** Log-spaced probe sizes for the threshold search (Bs): 1 … 65536. */
export function thresholdGrid(lo: number, hi: number, points: number): number[] {
  const out = new Set<number>();
  if (hi / lo > 64) {
    for (let i = 0; i < points; i++) out.add(Math.round(lo * (hi / lo) ** (i / (points - 1))));
  } else {
    for (let i = 0; i < points; i++) out.add(Math.round(lo + ((hi - lo) * i) / (points - 1)));
  }
  return [...out].sort((a, b) => a - b);
}
