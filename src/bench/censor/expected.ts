/**
 * The expected outcomes of censors.md §6.4 for the rows steppe has, so that reports can show
 * expected next to measured and the cell tests can assert them. Codes: P pass, B blocked, p26
 * probabilistic blocking (p ≈ 0.263 plus the residual), D detected by probing, I intercepted
 * (plaintext seen), P/S pass or score-only, "~" configuration-dependent (any outcome is recorded).
 */
export type ExpectedCode = 'P' | 'B' | 'p26' | 'D' | 'I' | 'P/S' | '~' | '-';

const OBFS4: Record<string, ExpectedCode> = {
  'ip-blocklist': 'B',
  'kz-2012-cke': 'P',
  'kz-2012-tor-sh': 'P',
  'tor-tls-clienthello': 'P',
  'obfs2-magic': 'P',
  'gfw-fet-2023': 'p26',
  'entropy-first-packet': 'B',
  'active-prober': 'P/S',
  'active-prober-bridge-line': 'D',
  'mitm-national-ca': 'P',
  'sni-blocklist': 'P',
  'volume-freeze': 'B',
};

// obfs2 and obfs3 speak first and complete a handshake with any prober (§6.4 note 8); obfs2's
// header is decrypted from its on-wire seed (note 5). obfs2's "B*" under entropy-first-packet
// (note 7: a handshake under 149 bytes, ~1.5% of connections, slips past the length gate) is
// measured as B: the cell test's remeasurement absorbs the rare slip.
const OBFS3: Record<string, ExpectedCode> = {
  ...OBFS4,
  'active-prober': 'D',
  'active-prober-bridge-line': 'D',
};
const OBFS2: Record<string, ExpectedCode> = { ...OBFS3, 'obfs2-magic': 'B' };

const HTTPS12: Record<string, ExpectedCode> = {
  'ip-blocklist': 'B',
  'kz-2012-cke': 'B',
  'kz-2012-tor-sh': 'P',
  'tor-tls-clienthello': 'P',
  'obfs2-magic': 'P',
  'gfw-fet-2023': 'P',
  'entropy-first-packet': 'P',
  'active-prober': 'P',
  'active-prober-bridge-line': '-',
  'mitm-national-ca': 'P',
  'sni-blocklist': 'P',
  'volume-freeze': 'B',
};

/** §6.4 "webtunnel-like, TLS 1.3, benign SNI": only address, volume and bridge-line probing. */
const WEBTUNNEL: Record<string, ExpectedCode> = {
  ...HTTPS12,
  'kz-2012-cke': 'P',
  'active-prober-bridge-line': 'D',
};

export const EXPECTED: Readonly<Record<string, Readonly<Record<string, ExpectedCode>>>> = {
  'tor-tls12': {
    'ip-blocklist': 'B',
    'kz-2012-cke': 'B',
    'kz-2012-tor-sh': 'B',
    'tor-tls-clienthello': 'B',
    'obfs2-magic': 'P',
    'gfw-fet-2023': 'P',
    'entropy-first-packet': 'P',
    'active-prober': 'D',
    'active-prober-bridge-line': 'D',
    'mitm-national-ca': 'P',
    'sni-blocklist': 'P',
    'volume-freeze': 'B',
  },
  'tor-tls13': {
    'ip-blocklist': 'B',
    'kz-2012-cke': 'P',
    // "~" in §6.4: only the ServerHello is visible under TLS 1.3; the default rules see nothing.
    'kz-2012-tor-sh': '~',
    'tor-tls-clienthello': 'B',
    'obfs2-magic': 'P',
    'gfw-fet-2023': 'P',
    'entropy-first-packet': 'P',
    'active-prober': 'D',
    'active-prober-bridge-line': 'D',
    'mitm-national-ca': 'P',
    'sni-blocklist': 'P',
    'volume-freeze': 'B',
  },
  'obfs4-iat0': OBFS4,
  'obfs4-iat1': OBFS4,
  'obfs4-iat2': OBFS4,
  'obfs4proxy-iat0': OBFS4,
  'obfs4proxy-iat1': OBFS4,
  'obfs4proxy-iat2': OBFS4,
  // §6.4 has no ScrambleSuit row; its notes give obfs4's cells to any transport whose first
  // bytes are uniform and ≥ 149 long (UniformDH: ≥ 224), whose server stays silent for a client
  // that cannot authenticate, and whose secret a bridge-line-aware prober holds (password=).
  scramblesuit: OBFS4,
  obfs3: OBFS3,
  obfs2: OBFS2,
  'obfs4proxy-obfs3': OBFS3,
  'obfs4proxy-obfs2': OBFS2,
  https12: HTTPS12,
  // TLS 1.3 has no ClientKeyExchange (§6.4 note 2).
  https13: { ...HTTPS12, 'kz-2012-cke': 'P' },
  'https13-kz-sni': {
    ...HTTPS12,
    'kz-2012-cke': 'P',
    'mitm-national-ca': 'B',
    'sni-blocklist': 'B',
  },
  'https13-kz-sni-trusting': {
    ...HTTPS12,
    'kz-2012-cke': 'P',
    'mitm-national-ca': 'I',
    'sni-blocklist': 'B',
  },
  webtunnel: WEBTUNNEL,
  // §6.4 "SNI ∈ KZ targets": blocked but safe with the pin, a secret leak without it (note 10);
  // the listed SNI is all sni-blocklist needs (note 11).
  'webtunnel-kz-sni': { ...WEBTUNNEL, 'mitm-national-ca': 'B', 'sni-blocklist': 'B' },
  'webtunnel-kz-sni-trusting': { ...WEBTUNNEL, 'mitm-national-ca': 'I', 'sni-blocklist': 'B' },
  http: { ...HTTPS12, 'kz-2012-cke': 'P' },
  ssh: { ...HTTPS12, 'kz-2012-cke': 'P', 'volume-freeze': 'P' },
  random200: {
    ...HTTPS12,
    'kz-2012-cke': 'P',
    'gfw-fet-2023': 'p26',
    'entropy-first-packet': 'B',
    'volume-freeze': '~',
  },
};

export function expectedCode(row: string, column: string): ExpectedCode | undefined {
  return EXPECTED[row]?.[column];
}

/** Whether a measured code satisfies an expected one. */
export function satisfies(
  measured: string,
  expected: ExpectedCode | undefined,
): boolean | undefined {
  if (expected === undefined || expected === '~' || expected === '-') return undefined;
  if (expected === 'P/S') return measured === 'P' || measured === 'S';
  return measured === expected;
}
