import { httpControl, httpsControl, random200Control, sshControl } from './controls.js';
import { obfs4proxyObfs23, steppeObfs23 } from './obfs23.js';
import { obfs4proxyReference } from './obfs4proxy.js';
import { steppeObfs4 } from './steppe-obfs4.js';
import { steppeScrambleSuit } from './steppe-scramblesuit.js';
import { WEBTUNNEL_ROWS } from './steppe-webtunnel.js';
import { torTlsEmulator } from './tor-tls.js';
import { realTor } from './tor-real.js';
import type { TrafficKind } from './types.js';

/** Every row the bench knows, in report order. */
export const ROWS: readonly TrafficKind[] = [
  torTlsEmulator('1.2'),
  torTlsEmulator('1.3'),
  realTor({ obfs4: false }),
  realTor({ obfs4: true }),
  steppeObfs4(0),
  steppeObfs4(1),
  steppeObfs4(2),
  ...WEBTUNNEL_ROWS,
  obfs4proxyReference(0),
  obfs4proxyReference(1),
  obfs4proxyReference(2),
  steppeScrambleSuit(),
  steppeObfs23('obfs3'),
  steppeObfs23('obfs2'),
  obfs4proxyObfs23('obfs3'),
  obfs4proxyObfs23('obfs2'),
  httpsControl({ version: '1.2' }),
  httpsControl({ version: '1.3' }),
  httpsControl({
    version: '1.3',
    sni: 'vk.com',
    id: 'https13-kz-sni',
    label: 'control HTTPS TLS 1.3, SNI vk.com',
  }),
  httpsControl({
    version: '1.3',
    sni: 'vk.com',
    trustNationalRoot: true,
    id: 'https13-kz-sni-trusting',
    label: 'control HTTPS TLS 1.3, SNI vk.com, national root installed',
  }),
  httpControl(),
  sshControl(),
  random200Control(),
];

export function rowById(id: string): TrafficKind | undefined {
  return ROWS.find((r) => r.id === id);
}

/** Rows whose client always connects from 127.0.0.1 (residual checks need distinct sources). */
export function fixedSource(row: TrafficKind): boolean {
  return row.group === 'reference';
}
