import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPLAY_FILE, ReplayStore } from '../../../src/transports/obfs4/replay-store.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-replay-store-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const tag = (n: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, i) => (n + i) & 0xff);

test('a store with no file and no handshake writes nothing', () =>
  withDir(async (dir) => {
    const store = await ReplayStore.open(dir, Date.now());
    await store.flush();
    await assert.rejects(stat(join(dir, REPLAY_FILE)), { code: 'ENOENT' });
  }));

test('tags survive a flush and a reopen', () =>
  withDir(async (dir) => {
    const now = Date.now();
    const store = await ReplayStore.open(dir, now);
    assert.equal(store.testAndSet(now, tag(1)), false);
    assert.equal(store.testAndSet(now, tag(1)), true);
    await store.flush();
    const again = await ReplayStore.open(dir, now + 1000);
    assert.equal(again.testAndSet(now + 1000, tag(1)), true, 'the saved tag is remembered');
    assert.equal(again.testAndSet(now + 1000, tag(2)), false);
  }));

test('a damaged file starts an empty filter and is replaced by the next save', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, REPLAY_FILE), '{"key": "not hex", "entries": 5}');
    const now = Date.now();
    const store = await ReplayStore.open(dir, now);
    assert.equal(store.testAndSet(now, tag(3)), false);
    await store.flush();
    const saved = JSON.parse(await readFile(join(dir, REPLAY_FILE), 'utf8')) as {
      key: string;
      entries: unknown[];
    };
    assert.match(saved.key, /^[0-9a-f]{32}$/);
    assert.equal(saved.entries.length, 1);
  }));
