// A real tor bootstraps through ScrambleSuit (../shared/tor-testnet/run.sh with
// TRANSPORT=scramblesuit): steppe's bridge with a configured password, reached by steppe's
// client and by obfs4proxy's (which has no ScrambleSuit server), and a steppe bridge that
// generated its own password (the Bridge line takes it from the SMETHOD ARGS).
//
// Slow (20–40 s a run): runs when CI=true or STEPPE_TESTNET=1.
import { test } from 'node:test';
import { assertOk, OBFS4PROXY, runTestnet, skip, STEPPE, TESTNET_TIMEOUT_MS } from './support.js';

const PASSWORD = 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U';

const runs: Array<[string, Record<string, string>]> = [
  [
    'steppe client, steppe bridge, configured password',
    { CLIENT_PT: STEPPE, SERVER_TRANSPORT_OPTIONS: `password=${PASSWORD}` },
  ],
  [
    'obfs4proxy client, steppe bridge, configured password',
    { CLIENT_PT: OBFS4PROXY, SERVER_TRANSPORT_OPTIONS: `password=${PASSWORD}` },
  ],
  ['steppe client, steppe bridge, generated password', { CLIENT_PT: STEPPE }],
];

for (const [name, env] of runs) {
  test(`tor testnet: scramblesuit, ${name}`, { skip, timeout: TESTNET_TIMEOUT_MS }, async () => {
    const what = `scramblesuit, ${name}`;
    assertOk(await runTestnet({ TRANSPORT: 'scramblesuit', BRIDGE_PT: STEPPE, ...env }), what);
  });
}
