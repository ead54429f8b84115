// The identity API: createIdentity and readIdentity write nothing; writeIdentity writes exactly
// the files a server then loads, and never replaces an identity unless asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createIdentity,
  existingIdentityFiles,
  obfs4,
  readIdentity,
  writeIdentity,
} from '../src/index.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-identity-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('create, write, read: the server loads the same identity; nothing else is written', () =>
  withDir(async (dir) => {
    const id = createIdentity({ options: { 'iat-mode': 1 } });
    assert.equal(id.transport, 'obfs4');
    assert.equal(id.clientArgs.get('iat-mode')?.[0], '1');
    assert.equal(id.clientArgs.get('cert')?.[0]?.length, 70);
    assert.notEqual(createIdentity().clientArgs.get('cert')?.[0], id.clientArgs.get('cert')?.[0]);
    assert.deepEqual(await readdir(dir), [], 'createIdentity wrote nothing');
    assert.equal(await readIdentity({ stateDir: dir }), null);
    assert.deepEqual(await readdir(dir), [], 'readIdentity of an empty directory wrote nothing');

    await writeIdentity(dir, id);
    assert.deepEqual((await readdir(dir)).sort(), ['obfs4_bridgeline.txt', 'obfs4_state.json']);
    const back = await readIdentity({ stateDir: dir });
    assert.deepEqual(back?.clientArgs, id.clientArgs);
    const server = await obfs4.createServer({ stateDir: dir });
    assert.deepEqual(server.clientArgs, id.clientArgs);
    // iat-mode given as an option overrides the file's, as for a server.
    const iat0 = await readIdentity({ stateDir: dir, options: { 'iat-mode': 0 } });
    assert.equal(iat0?.clientArgs.get('iat-mode')?.[0], '0');
    assert.equal(iat0?.clientArgs.get('cert')?.[0], id.clientArgs.get('cert')?.[0]);
  }));

test('writeIdentity refuses to replace an identity unless asked', () =>
  withDir(async (dir) => {
    const first = createIdentity();
    await writeIdentity(dir, first);
    const second = createIdentity();
    assert.deepEqual(await existingIdentityFiles(dir, second), [
      'obfs4_bridgeline.txt',
      'obfs4_state.json',
    ]);
    await assert.rejects(writeIdentity(dir, second), {
      code: 'ERR_INVALID_STATE',
      message: /already holds an identity \(obfs4_bridgeline\.txt, obfs4_state\.json\)/,
    });
    assert.deepEqual((await readIdentity({ stateDir: dir }))?.clientArgs, first.clientArgs);
    await writeIdentity(dir, second, { replace: true });
    assert.deepEqual((await readIdentity({ stateDir: dir }))?.clientArgs, second.clientArgs);
  }));

test('a damaged identity, an unknown transport and a bad option are one clear error', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'obfs4_state.json'), '{"node-id": 1}');
    await assert.rejects(readIdentity({ stateDir: dir }), {
      code: 'ERR_INVALID_STATE',
      message: /obfs4_state\.json lacks "node-id"/,
    });
    assert.throws(() => createIdentity({ transport: 'nope' }), {
      code: 'ERR_INVALID_ARGS',
      message: /unknown transport "nope"; steppe has: .*obfs4/,
    });
    assert.throws(() => createIdentity({ options: { 'iat-mode': 7 } }), /iat-mode/);
  }));
