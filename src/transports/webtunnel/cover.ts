/**
 * The cover site: what every request that is not the secret upgrade gets, so that the endpoint
 * is an ordinary website to a browser, a scanner or an active prober (censors.md §6.3, P7).
 *
 * - a directory of files, served by an internal node:http server (GET and HEAD, index.html,
 *   keep-alive, nginx-style error pages);
 * - a proxied upstream (`http://host:port`), which gets the connection's bytes unchanged;
 * - with neither, the same nginx-style 404 for every path (a server behind a reverse proxy is
 *   normally reached only on the secret path; anything else there was not sent by the proxy).
 *
 * The caller has already read the request head; it hands the stream over with the head bytes,
 * which go back in front of whatever else the peer sent.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { Duplex } from 'node:stream';
import { InvalidArgsError } from '../../errors.js';
import { parseHostPort, type HostPort } from '../../net/address.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Not Allowed',
  500: 'Internal Server Error',
};

/** nginx's built-in error page, byte for byte in shape, so a cover error looks like one. */
export function errorPage(status: number, reason = REASONS[status] ?? 'Error'): string {
  return (
    `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n` +
    `<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
  );
}

/** A complete HTTP/1.1 error response that closes the connection (for unparseable requests). */
export function errorResponse(status: number, reason = REASONS[status] ?? 'Error'): Buffer {
  const body = errorPage(status, reason);
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\nServer: nginx\r\nDate: ${new Date().toUTCString()}\r\n` +
      `Content-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    'latin1',
  );
}

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.txt': 'text/plain',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.xml': 'application/xml',
};

function sendError(res: ServerResponse, status: number): void {
  const body = errorPage(status);
  res.writeHead(status, {
    Server: 'nginx',
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Maps a URL path to a file under `root`, or null if it leaves the root or is malformed. */
export function fileFor(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = resolve(root, '.' + (decoded.startsWith('/') ? decoded : '/' + decoded));
  if (full !== root && !full.startsWith(root + sep)) return null;
  return full;
}

async function serveFile(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405);
  let path = fileFor(root, req.url ?? '/');
  if (path === null) return sendError(res, 400);
  let st = await stat(path).catch(() => null);
  if (st?.isDirectory() === true) {
    path = join(path, 'index.html');
    st = await stat(path).catch(() => null);
  }
  if (st === null || !st.isFile()) return sendError(res, 404);
  res.writeHead(200, {
    Server: 'nginx',
    'Content-Type': TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Last-Modified': st.mtime.toUTCString(),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const file = createReadStream(path);
  file.on('error', () => res.destroy());
  file.pipe(res);
}

export interface CoverSite {
  /** Takes `stream` over; `head` is the request head already read from it. */
  serve(stream: Duplex, head: Uint8Array): void;
  /** Ends the connections it serves. */
  close(): void;
}

/**
 * `stream` as a plain Duplex that first yields `head` again. node:http reads a real socket
 * through its native handle, which would skip bytes already read (the head) or pushed back;
 * a plain Duplex is read through JS, in order.
 */
function replayed(stream: Duplex, head: Uint8Array): Duplex {
  const d = new Duplex({
    read() {
      stream.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      stream.write(chunk, cb);
    },
    final(cb) {
      stream.end();
      cb();
    },
    destroy(err, cb) {
      stream.destroy();
      cb(err);
    },
  });
  d.push(head);
  stream.on('data', (c: Buffer) => {
    if (!d.push(c)) stream.pause();
  });
  if (stream.readableEnded) d.push(null);
  else stream.once('end', () => d.push(null));
  stream.on('error', (e) => d.destroy(e));
  stream.once('close', () => d.destroy());
  return d;
}

/** A cover site answered by an internal (never listening) node:http server. */
class HttpCover implements CoverSite {
  readonly #server: Server;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    this.#server = createServer({ maxHeaderSize: 8192 }, handler);
    this.#server.keepAliveTimeout = 5_000;
    this.#server.headersTimeout = 20_000;
    this.#server.requestTimeout = 30_000;
  }

  serve(stream: Duplex, head: Uint8Array): void {
    this.#server.emit('connection', replayed(stream, head));
  }

  close(): void {
    this.#server.closeAllConnections();
  }
}

/** Forwards the connection, head included, to an HTTP upstream. */
class UpstreamCover implements CoverSite {
  readonly #target: HostPort;
  readonly #open = new Set<Socket>();

  constructor(target: HostPort) {
    this.#target = target;
  }

  serve(stream: Duplex, head: Uint8Array): void {
    const up = netConnect({ host: this.#target.host, port: this.#target.port });
    this.#open.add(up);
    const done = (): void => {
      this.#open.delete(up);
      up.destroy();
      stream.destroy();
    };
    up.once('error', () => {
      if (up.bytesRead === 0 && !stream.destroyed) stream.end(errorResponse(502, 'Bad Gateway'));
      done();
    });
    up.once('close', done);
    stream.once('error', done);
    stream.once('close', done);
    up.write(head);
    stream.pipe(up);
    up.pipe(stream);
  }

  close(): void {
    for (const s of this.#open) s.destroy();
  }
}

/** Every path answers nginx's 404. */
export function notFoundCover(): CoverSite {
  return new HttpCover((req, res) => {
    req.resume();
    sendError(res, 404);
  });
}

/** `cover=` as a directory path or an http://host:port upstream. */
export function coverSite(spec: string | undefined): CoverSite {
  if (spec === undefined || spec.trim() === '') return notFoundCover();
  const s = spec.trim();
  if (/^https?:\/\//i.test(s)) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new InvalidArgsError(`cover=: not a URL: ${JSON.stringify(s)}`);
    }
    if (url.protocol !== 'http:') {
      throw new InvalidArgsError(
        'cover=: an upstream must be plain http:// (it is on this host or a private network)',
      );
    }
    const target = parseHostPort(`${url.hostname}:${url.port === '' ? 80 : url.port}`);
    return new UpstreamCover(target);
  }
  const root = resolve(s);
  return new HttpCover((req, res) => {
    req.resume();
    serveFile(root, req, res).catch(() => sendError(res, 500));
  });
}
