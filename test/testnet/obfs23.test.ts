// A real tor bootstraps through obfs3 and through obfs2 (../shared/tor-testnet/run.sh with
// TRANSPORT=): steppe on both sides, and steppe against obfs4proxy on each side. Neither
// transport publishes args, so the Bridge line is just the address and fingerprint.
//
// Slow (20–40 s a run): runs when CI=true or STEPPE_TESTNET=1.
import { test } from 'node:test';
import { assertOk, OBFS4PROXY, runTestnet, skip, STEPPE, TESTNET_TIMEOUT_MS } from './support.js';

const sides: Array<[string, string, string]> = [
  ['steppe client, steppe bridge', STEPPE, STEPPE],
  ['steppe client, obfs4proxy bridge', STEPPE, OBFS4PROXY],
  ['obfs4proxy client, steppe bridge', OBFS4PROXY, STEPPE],
];

for (const transport of ['obfs3', 'obfs2']) {
  for (const [name, client, bridge] of sides) {
    test(`tor testnet: ${transport}, ${name}`, { skip, timeout: TESTNET_TIMEOUT_MS }, async () => {
      const what = `${transport}, ${name}`;
      assertOk(
        await runTestnet({ TRANSPORT: transport, CLIENT_PT: client, BRIDGE_PT: bridge }),
        what,
      );
    });
  }
}
