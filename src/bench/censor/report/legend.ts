/** What each cell code means, shared by the terminal table and the HTML page. */
export const CODE_MEANING: Readonly<Record<string, string>> = {
  P: 'passes',
  B: 'blocked (every session failed)',
  p26: 'blocked at random per connection (measured rate; GFW p ≈ 0.263) plus the 180 s residual',
  D: 'detected by active probing, then blocked',
  I: 'intercepted: the censor read the plaintext',
  S: 'passes; a score-only fingerprint (silent server, uniform close time)',
  '~': 'degraded: some sessions failed',
  'n/a': 'not applicable',
  error: 'the cell could not run',
};
