/**
 * A real nginx (Debian's /usr/sbin/nginx) for tests: a config written here, a private prefix
 * directory, loopback listeners only, started in the foreground and stopped by its PID.
 *
 * nginx cannot report an ephemeral port, so the listen port is one the kernel just handed out
 * to a throwaway socket; if nginx loses that race (bind fails) the start is retried on another.
 * The bench uses it too (bench/perf/tls-front.ts), with a `stream` block for a plain TLS pipe.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';
/** Debian builds the stream (TCP proxy) module as a separate package, libnginx-mod-stream. */
export const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

export function haveNginx(): boolean {
  return existsSync(NGINX);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  readonly port: number;
  /** The stream server's port when a `stream` block was asked for, else undefined. */
  readonly streamPort: number | undefined;
  readonly pid: number;
  readonly prefix: string;
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx with `server` as the body of its one http server block (without `listen`, which
 * is added: `listen 127.0.0.1:PORT ssl` when `tls` is true), and, with `stream`, one stream
 * (TCP proxy) server block too, listening with TLS on a second port (`streamPort`).
 */
export async function startNginx(opts: {
  server: string;
  tls: boolean;
  workerConnections?: number;
  stream?: string;
}): Promise<Nginx> {
  if (opts.stream !== undefined && !existsSync(NGINX_STREAM_MODULE)) {
    throw new Error(
      `nginx's stream module is missing (${NGINX_STREAM_MODULE}): apt-get install libnginx-mod-stream`,
    );
  }
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const streamPort = opts.stream === undefined ? undefined : await freePort();
    const prefix = mkdtempSync(join(tmpdir(), 'steppe-nginx-'));
    mkdirSync(join(prefix, 'tmp'));
    const conf = [
      ...(opts.stream === undefined ? [] : [`load_module ${NGINX_STREAM_MODULE};`]),
      'daemon off;',
      'master_process on;',
      'worker_processes 1;',
      // Root starts the workers as nobody, who cannot read the tests' private temp dirs.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} info;`,
      `events { worker_connections ${opts.workerConnections ?? 1024}; }`,
      'http {',
      '  access_log off;',
      '  default_type application/octet-stream;',
      '  types { text/html html; text/css css; }',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (k) => `  ${k}_temp_path ${join(prefix, 'tmp', k)};`,
      ),
      '  server {',
      `    listen 127.0.0.1:${port}${opts.tls ? ' ssl' : ''};`,
      opts.server,
      '  }',
      '}',
      ...(opts.stream === undefined
        ? []
        : [
            'stream {',
            '  server {',
            `    listen 127.0.0.1:${streamPort} ssl;`,
            opts.stream,
            '  }',
            '}',
          ]),
      '',
    ].join('\n');
    const confFile = join(prefix, 'nginx.conf');
    writeFileSync(confFile, conf);
    const child: ChildProcess = spawn(
      NGINX,
      ['-p', prefix, '-c', confFile, '-e', join(prefix, 'error.log')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => (stderr += d));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const up =
      (await waitListening(port, child)) &&
      (streamPort === undefined || (await waitListening(streamPort, child)));
    const errorLog = (): string => {
      try {
        return readFileSync(join(prefix, 'error.log'), 'utf8');
      } catch {
        return '';
      }
    };
    if (up && child.pid !== undefined) {
      const pid = child.pid;
      return {
        port,
        streamPort,
        pid,
        prefix,
        errorLog,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            process.kill(pid, 'SIGTERM');
            const t = setTimeout(() => {
              if (child.exitCode === null) process.kill(pid, 'SIGKILL');
            }, 5_000);
            await exited;
            clearTimeout(t);
          }
          rmSync(prefix, { recursive: true, force: true });
        },
      };
    }
    lastError = `${stderr}\n${errorLog()}`;
    if (child.exitCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    rmSync(prefix, { recursive: true, force: true });
    if (!/Address already in use/.test(lastError)) break;
  }
  throw new Error(`nginx did not start: ${lastError.trim()}`);
}

/** Polls the port (bounded: 100 × 50 ms) until nginx accepts, or the child exits. */
async function waitListening(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
