// The bench's header names each side's runtime: the Go version is read from the binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeImpl, goVersionOf } from '../../bench/perf/versions.js';
import { obfs4proxyImpl, steppeImpl } from '../../bench/perf/pt-pair.js';
import { haveObfs4proxy, OBFS4PROXY } from '../_support/obfs4proxy.js';

test('goVersionOf reads Go 1.18+ build info, falls back to runtime.buildVersion, else null', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steppe-gover-'));
  try {
    const header = Buffer.alloc(32);
    header.write('\xff Go buildinf:', 0, 'latin1');
    header[14] = 8;
    header[15] = 2;
    const modern = join(dir, 'modern');
    writeFileSync(
      modern,
      Buffer.concat([Buffer.from('junk go1.2.3 '), header, Buffer.from('\x08go1.21.5rest')]),
    );
    assert.equal(goVersionOf(modern), 'go1.21.5');
    const old = join(dir, 'old');
    writeFileSync(old, 'xx runtime.buildVersion yy go1.11.6 zz');
    assert.equal(goVersionOf(old), 'go1.11.6');
    const notGo = join(dir, 'c');
    writeFileSync(notGo, 'a C program mentioning go1.2 in a string');
    assert.equal(goVersionOf(notGo), null);
    assert.equal(goVersionOf(join(dir, 'missing')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('describeImpl names steppe with Node, obfs4proxy with its version and Go', (t) => {
  assert.match(describeImpl(steppeImpl(), '9.9.9'), /^steppe 9\.9\.9 \(Node v\d+/);
  // Another checkout (a baseline for --b): its own package.json version and where it is.
  const other = mkdtempSync(join(tmpdir(), 'steppe-checkout-'));
  try {
    writeFileSync(join(other, 'package.json'), JSON.stringify({ version: '0.0.7' }));
    mkdirSync(join(other, 'bin'));
    writeFileSync(join(other, 'bin', 'steppe'), '#!/usr/bin/env node\n');
    assert.match(
      describeImpl(steppeImpl([], other), '9.9.9'),
      new RegExp(`^steppe 0\\.0\\.7 \\(Node v\\d+.*\\) in ${other}$`),
    );
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
  if (!haveObfs4proxy()) return t.skip('obfs4proxy not installed');
  assert.match(describeImpl(obfs4proxyImpl(OBFS4PROXY), '9.9.9'), /^obfs4proxy.*\(go1\.\d+/);
});
