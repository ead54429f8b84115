// A real tor bootstraps through webtunnel as deployed: steppe's client PT → nginx (TLS, the
// README's location block) → steppe's server PT (managed by the bridge tor, plain HTTP on its
// ServerTransportListenAddr) → the bridge's ExtORPort.
//
// run.sh knows nothing of nginx, so the test puts nginx in front of the port the script gives
// the bridge PT: it picks the script's BASE_PORT block itself (the PT listens on BASE+31) and
// starts nginx first, proxying to that port. The script's knobs do the rest: TRANSPORT,
// SERVER_TRANSPORT_OPTIONS (url=), BRIDGE_LINE_EXTRA_ARGS (addr= of nginx; the Bridge line's
// own address is a placeholder), and NODE_EXTRA_CA_CERTS, which tor passes on to the client PT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { haveNginx, startNginx } from '../_support/nginx.js';
import { HOST, makePki, SECRET } from '../transports/webtunnel/support.js';
import { readmeNginxLocation } from '../transports/webtunnel/readme-nginx.js';
import {
  assertOk,
  CI,
  runTestnet,
  skip as testnetSkip,
  STEPPE,
  TESTNET_TIMEOUT_MS,
} from './support.js';

const skip: string | false =
  testnetSkip !== false ? testnetSkip : haveNginx() || CI ? false : '/usr/sbin/nginx is missing';

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A block of 60 free loopback ports below the ephemeral range, as run.sh wants (bounded tries). */
async function freeBlock(): Promise<number> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    let ok = true;
    for (let p = base; p < base + 60 && ok; p++) ok = await bindable(p);
    if (ok) return base;
  }
  throw new Error('no free block of 60 loopback ports');
}

test(
  'tor testnet: webtunnel, steppe client → nginx (TLS) → steppe server → tor bridge',
  { skip, timeout: TESTNET_TIMEOUT_MS },
  async () => {
    assert.ok(haveNginx(), 'nginx is installed (apt-get install nginx)');
    const pki = await makePki();
    const base = await freeBlock();
    const nginx = await startNginx({
      tls: true,
      server: [
        `    server_name ${HOST};`,
        `    ssl_certificate ${pki.file('chain.pem')};`,
        `    ssl_certificate_key ${pki.file('leaf.key')};`,
        '    location / { return 404; }',
        await readmeNginxLocation(SECRET, base + 31),
      ].join('\n'),
    });
    try {
      const r = await runTestnet({
        CLIENT_PT: STEPPE,
        BRIDGE_PT: STEPPE,
        TRANSPORT: 'webtunnel',
        SERVER_TRANSPORT_OPTIONS: `url=https://${HOST}${SECRET}`,
        BRIDGE_LINE_EXTRA_ARGS: `addr=127.0.0.1:${nginx.port}`,
        NODE_EXTRA_CA_CERTS: pki.file('ca.pem'),
        // addr= is 127.0.0.1: the webtunnel client's opt-in for a bridge on this computer.
        STEPPE_WEBTUNNEL_ALLOW_PRIVATE: '1',
        BASE_PORT: String(base),
      });
      assertOk(r, 'webtunnel through nginx');
      assert.match(
        r.output,
        new RegExp(
          `bridge line: Bridge webtunnel 127\\.0\\.0\\.1:${base + 31} \\S+ url=https://${HOST.replace(/\./g, '\\.')}${SECRET} ver=0\\.0\\.1 addr=127\\.0\\.0\\.1:${nginx.port}`,
        ),
      );
    } finally {
      await nginx.stop();
      pki.cleanup();
    }
  },
);
