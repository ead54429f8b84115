/** What each cell code means, shared by the terminal table and the HTML page. */
export const CODE_MEANING: Readonly<Record<string, string>> = {
  P: 'passes',
  B: 'blocked (five or more sessions in a row failed)',
  p26: 'each connection blocked at random, n% measured (the GFW rule: p ≈ 0.263), then the 180 s residual',
  D: 'detected by active probing, then blocked',
  I: 'intercepted: the censor read the plaintext',
  S: 'passes; a score-only fingerprint (silent server, uniform close time)',
  '~': 'degraded: some sessions failed',
  'n/a': 'not applicable',
  error: 'the cell could not run',
};

/** How a code is written in tables and legends. */
export function codeLabel(code: string): string {
  return code === 'p26' ? 'B n%' : code;
}
