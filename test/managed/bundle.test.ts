// bin/steppe runs dist/steppe-obfs4.cjs when tor asks for obfs4 alone and dist/steppe.cjs
// otherwise (scripts/bundle.mjs). A preload reports which bundle the process required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPPE_BIN, spawnPt } from './support/spawn.js';

const PRELOAD = `
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  const m = /(steppe(?:-obfs4)?\\.cjs)$/.exec(request);
  if (m) process.stderr.write('BUNDLE ' + m[1] + '\\n');
  return load.call(this, request, ...rest);
};
`;

async function bundleFor(
  env: Record<string, string>,
): Promise<{ bundle: string; lines: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-bundle-'));
  const preload = join(dir, 'preload.cjs');
  await writeFile(preload, PRELOAD);
  const pt = spawnPt([process.execPath, '--require', preload, STEPPE_BIN], {
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_STATE_LOCATION: dir,
    ...env,
  });
  try {
    await pt.waitForLine(/^[CS]METHODS DONE$/);
    const bundle = /^BUNDLE (\S+)$/m.exec(pt.stderr())?.[1] ?? '(none)';
    return { bundle, lines: [...pt.lines] };
  } finally {
    await pt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('obfs4 alone runs the obfs4 bundle, client and server', async () => {
  const client = await bundleFor({ TOR_PT_CLIENT_TRANSPORTS: 'obfs4' });
  assert.equal(client.bundle, 'steppe-obfs4.cjs');
  assert.ok(client.lines.some((l) => l.startsWith('CMETHOD obfs4 socks5 127.0.0.1:')));
  const server = await bundleFor({
    TOR_PT_SERVER_TRANSPORTS: 'obfs4',
    TOR_PT_SERVER_BINDADDR: 'obfs4-127.0.0.1:0',
    TOR_PT_ORPORT: '127.0.0.1:9',
  });
  assert.equal(server.bundle, 'steppe-obfs4.cjs');
  assert.ok(server.lines.some((l) => /^SMETHOD obfs4 127\.0\.0\.1:\d+ ARGS:cert=/.test(l)));
});

test('any other transport in the list runs the full bundle', async () => {
  const r = await bundleFor({ TOR_PT_CLIENT_TRANSPORTS: 'obfs4,obfs3' });
  assert.equal(r.bundle, 'steppe.cjs');
  assert.ok(r.lines.some((l) => l.startsWith('CMETHOD obfs3 socks5')));
  assert.ok(r.lines.some((l) => l.startsWith('CMETHOD obfs4 socks5')));
});

test('an unknown transport goes to the full bundle, which skips it as before', async () => {
  const r = await bundleFor({ TOR_PT_CLIENT_TRANSPORTS: 'meek,obfs4' });
  assert.equal(r.bundle, 'steppe.cjs');
  assert.ok(
    r.lines.some((l) => l.startsWith('CMETHOD obfs4 socks5')),
    r.lines.join('\n'),
  );
  assert.ok(!r.lines.some((l) => l.includes('meek')), r.lines.join('\n'));
});
