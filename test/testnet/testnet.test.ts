// A real tor network on loopback (../shared/tor-testnet/run.sh) with steppe as the client PT,
// the bridge PT, or both, at iat-mode 0 and 1; and with the steppe client reaching the bridge
// through the project's own SOCKS5 and HTTP CONNECT proxies.
//
// run.sh has no way to add client torrc lines (Socks5Proxy/HTTPSProxy, which tor would turn into
// TOR_PT_PROXY), so the proxy runs give tor a small wrapper as CLIENT_PT that sets TOR_PT_PROXY
// and execs bin/steppe: the PT sees exactly what tor would hand it. tor then logs that the PT
// sent "PROXY DONE" unasked, which it ignores.
//
// Slow (20–40 s a run): runs when CI=true or STEPPE_TESTNET=1. In CI a missing tor or obfs4proxy
// fails the suite instead of skipping it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertOk,
  missing,
  OBFS4PROXY,
  runTestnet,
  skip,
  STEPPE,
  TESTNET_TIMEOUT_MS,
} from './support.js';
import { startHttpConnectProxy, startSocksProxy, type TestProxy } from '../net/support/proxies.js';

async function proxyRun(kind: 'socks5' | 'http'): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-testnet-'));
  let proxy: TestProxy | null = null;
  try {
    proxy =
      kind === 'socks5'
        ? await startSocksProxy({ auth: { username: 'steppe', password: 'testnet' } })
        : await startHttpConnectProxy();
    const uri =
      kind === 'socks5'
        ? `socks5://steppe:testnet@127.0.0.1:${proxy.port}`
        : `http://127.0.0.1:${proxy.port}`;
    const wrapper = join(dir, `steppe-via-${kind}`);
    await writeFile(
      wrapper,
      `#!/bin/sh\nTOR_PT_PROXY='${uri}'\nexport TOR_PT_PROXY\nexec '${STEPPE}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const r = await runTestnet({ CLIENT_PT: wrapper, BRIDGE_PT: OBFS4PROXY, IAT_MODE: '0' });
    assertOk(r, `steppe client via ${kind} proxy`);
    // Every connection the client PT made went through the proxy, to the bridge's obfs4 port
    // (of this run, or of the failed one before it when runTestnet ran run.sh twice).
    const bridgeTarget = (output: string): string | undefined => {
      const port = /bridge line: Bridge obfs4 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      return port === undefined ? undefined : `127.0.0.1:${port}`;
    };
    const target = bridgeTarget(r.output);
    assert.ok(target !== undefined, 'run.sh printed the bridge line');
    const earlierTarget = r.earlier === undefined ? undefined : bridgeTarget(r.earlier.output);
    const targets = new Set(earlierTarget === undefined ? [target] : [target, earlierTarget]);
    assert.ok(proxy.targets.length >= 1, 'the proxy carried the client PT connection');
    for (const t of proxy.targets) assert.ok(targets.has(t), `${t} is the bridge's obfs4 port`);
  } finally {
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test(
  'preflight: tor, tor-gencert, obfs4proxy, curl, python3 and run.sh are present',
  { skip },
  () => {
    assert.deepEqual(missing, [], `install them: apt-get install -y tor obfs4proxy curl python3`);
  },
);

const matrix: Array<[string, Record<string, string>]> = [];
for (const iat of ['0', '1']) {
  matrix.push([
    `steppe client, obfs4proxy bridge, iat-mode ${iat}`,
    { CLIENT_PT: STEPPE, BRIDGE_PT: OBFS4PROXY, IAT_MODE: iat },
  ]);
  matrix.push([
    `obfs4proxy client, steppe bridge, iat-mode ${iat}`,
    { CLIENT_PT: OBFS4PROXY, BRIDGE_PT: STEPPE, IAT_MODE: iat },
  ]);
  matrix.push([
    `steppe client, steppe bridge, iat-mode ${iat}`,
    { CLIENT_PT: STEPPE, BRIDGE_PT: STEPPE, IAT_MODE: iat },
  ]);
}

for (const [name, env] of matrix) {
  test(`tor testnet: ${name}`, { skip, timeout: TESTNET_TIMEOUT_MS }, async () => {
    assertOk(await runTestnet(env), name);
  });
}

test(
  'tor testnet: steppe client through a SOCKS5 proxy (TOR_PT_PROXY)',
  { skip, timeout: TESTNET_TIMEOUT_MS },
  () => proxyRun('socks5'),
);
test(
  'tor testnet: steppe client through an HTTP CONNECT proxy (TOR_PT_PROXY)',
  { skip, timeout: TESTNET_TIMEOUT_MS },
  () => proxyRun('http'),
);
