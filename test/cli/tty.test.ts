// On a terminal (a pseudo-terminal from util-linux `script`), `steppe server` draws the share
// string as a QR code and keeps a status line; with a pipe (every other test) it does neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, startSteppeServer, STEPPE_BIN } from './support/steppe.js';

const ERASE_LINE = '\u001b[2K';
const STATUS = 'steppe server obfs4 | 0 open | 0 total | up 0 B | down 0 B | 0 failed handshakes';
const haveScript = spawnSync('script', ['--version']).status === 0;

test(
  'QR code and status line on a terminal',
  { skip: haveScript ? false : 'util-linux script(1) is not installed', timeout: 30_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steppe-tty-'));
    const cmd = `${process.execPath} ${STEPPE_BIN} server --listen 127.0.0.1:0 --forward 127.0.0.1:9 --state ${dir}`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', TERM: 'xterm', COLUMNS: '120' },
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no status line in 20 s:\n${out}`)),
          20_000,
        );
        child.stdout.on('data', (d: string) => {
          out += d;
          if (out.includes(`\r${ERASE_LINE}${STATUS}`)) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', () => reject(new Error(`script exited:\n${out}`)));
      });
      assert.match(out, /^steppe:\/\/obfs4@127\.0\.0\.1:\d+\?cert=/m);
      // The QR code: half-block characters on a light background, between the share string
      // and the ready line.
      const qr = out.slice(out.indexOf('steppe://'), out.indexOf('ready: '));
      assert.ok((qr.match(/[▀▄█]/g) ?? []).length > 200, 'no QR code drawn');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
      await rm(dir, { recursive: true, force: true });
    }
  },
);

test('with a pipe: no QR code, no status line; keygen --qr draws one anyway', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'steppe-tty-'));
  try {
    const s = await startSteppeServer(['--state', dir, '--forward', '127.0.0.1:9']);
    await s.p.stop();
    assert.deepEqual(
      s.p.lines.map((l) => l.split(' ')[0]),
      ['Bridge', s.share, 'ready:'],
      s.p.lines.join('\n'),
    );
    const k = await runToExit(
      ['keygen', '--state', join(dir, 'k'), '--public-address', '127.0.0.1:1', '--qr'],
      10_000,
    );
    assert.equal(k.code, 0);
    assert.ok((k.stdout.match(/[▀▄█]/g) ?? []).length > 200);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
