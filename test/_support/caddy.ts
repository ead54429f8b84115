// A real Caddy (Debian's 2.6) for tests: runs a Caddyfile the test gives on loopback, with its
// data and config under a private temp dir, no admin endpoint, no automatic HTTPS (the test
// brings its own certificate); stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nginx.js';

export const CADDY = '/usr/bin/caddy';
const READY_TIMEOUT_MS = 15_000;

export function haveCaddy(): boolean {
  return existsSync(CADDY);
}

export interface Caddy {
  readonly port: number;
  readonly pid: number;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts caddy with `caddyfile(port, httpPort, dir)`: the Caddyfile for an HTTPS listener on
 * 127.0.0.1:port (httpPort: a loopback port for the HTTP listener caddy always opens; dir: a
 * private directory for its storage). Retries with other ports if one was taken meanwhile.
 */
export async function startCaddy(
  caddyfile: (port: number, httpPort: number, dir: string) => string,
): Promise<Caddy> {
  let lastLog = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const httpPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'steppe-caddy-'));
    const file = join(dir, 'Caddyfile');
    writeFileSync(file, caddyfile(port, httpPort, dir));
    const child: ChildProcess = spawn(CADDY, ['run', '--adapter', 'caddyfile', '--config', file], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (log.length < 1 << 20) log += d;
    });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const ready = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
      const check = (): void => {
        if (log.includes('serving initial configuration')) {
          clearTimeout(t);
          resolve(true);
        }
      };
      child.stderr?.on('data', check);
      child.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    if (ready && child.pid !== undefined) {
      return { port, pid: child.pid, log: () => log, stop };
    }
    lastLog = log;
    await stop();
    if (!/address already in use/.test(log)) break;
  }
  throw new Error(`caddy did not start:\n${lastLog.slice(-4000)}`);
}
