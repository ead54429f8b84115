// bin/steppe's first line starts node with glibc's malloc keeping freed memory at the top of its
// heap (see the comment in bin/steppe): a process started the way tor starts it, by executing
// the script, must carry that setting, and a GLIBC_TUNABLES of the caller's must survive behind
// it (later entries win in glibc, so the caller's own choices still apply).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPt } from './support/spawn.js';

const OURS = 'glibc.malloc.trim_threshold=33554432';

async function tunablesOfManagedClient(extra: Record<string, string>): Promise<string | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-tunables-'));
  // What node itself was given. /proc/<pid>/environ is no witness: glibc's loader rewrites the
  // variable in place there while parsing it (it shows only the first entry).
  const preload = join(dir, 'report.cjs');
  await writeFile(
    preload,
    "process.stderr.write('TUNABLES ' + JSON.stringify(process.env.GLIBC_TUNABLES ?? null) + '\\n');\n",
  );
  const pt = spawnPt('steppe', {
    NODE_OPTIONS: `--require ${preload}`,
    TOR_PT_MANAGED_TRANSPORT_VER: '1',
    TOR_PT_STATE_LOCATION: dir,
    TOR_PT_CLIENT_TRANSPORTS: 'obfs4',
    ...extra,
  });
  try {
    await pt.waitForLine(/^CMETHODS DONE$/);
    const reported = /^TUNABLES (.*)$/m.exec(pt.stderr())?.[1];
    assert.ok(reported !== undefined, `the preload did not run: ${pt.stderr()}`);
    return (JSON.parse(reported) as string | null) ?? undefined;
  } finally {
    await pt.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

test('executing bin/steppe sets the malloc trim threshold', async () => {
  const value = await tunablesOfManagedClient({});
  assert.ok(value !== undefined, 'GLIBC_TUNABLES is not in the environment of the PT');
  // Nothing of the caller's to keep: an empty entry follows, which glibc skips.
  assert.equal(value, `${OURS}:`);
});

test("the caller's GLIBC_TUNABLES is kept, after steppe's", async () => {
  const value = await tunablesOfManagedClient({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
  assert.equal(value, `${OURS}:glibc.malloc.arena_max=2`);
});
