import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../src/fs/write-atomic.js';

const MODULE = fileURLToPath(new URL('../../src/fs/write-atomic.js', import.meta.url));

test('writeFileAtomic: the file has the data, mode 0600, and no temporary file is left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-atomic-'));
  try {
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    assert.equal(readFileSync(path, 'utf8'), 'two');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: a failed rename removes the temporary file and rejects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-atomic-'));
  try {
    // A directory where the file should go: the write succeeds, the rename onto it fails.
    const path = join(dir, 'state.json');
    mkdirSync(path);
    await assert.rejects(writeFileAtomic(path, 'x'), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    assert.deepEqual(readdirSync(dir), ['state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic: a process that exits mid-write leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-atomic-'));
  try {
    // process.exit() as soon as the write has started: what managed mode does on SIGTERM.
    const script = [
      `const { writeFileAtomic } = await import(${JSON.stringify(MODULE)});`,
      `void writeFileAtomic(${JSON.stringify(join(dir, 'state.json'))}, 'x'.repeat(1 << 20));`,
      'setImmediate(() => process.exit(0));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      timeout: 10_000,
    });
    assert.equal(r.status, 0, String(r.stderr));
    const left = readdirSync(dir).filter((f) => f.includes('.tmp-'));
    assert.deepEqual(left, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
