// A stand-in for tor's Extended ORPort (server side of ext-orport-spec), for tests: offers
// SAFE_COOKIE, checks the client hash, records USERADDR/TRANSPORT, answers OKAY or DENY, and
// then echoes like an OR connection would carry bytes. Loopback only.
import { randomBytes, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { COOKIE_HEADER } from '../../../src/extorport/cookie.js';
import { listenLocal } from '../../net/support/loopback.js';

export interface ExtOrSession {
  userAddr?: string;
  transport?: string;
  authenticated: boolean;
}

export interface FakeExtOrPortOptions {
  readonly cookieFile: string;
  readonly deny?: boolean;
  /** Unknown commands to send before OKAY/DENY (clients must ignore them). */
  readonly extraCommands?: number;
  readonly authTypes?: number[];
  /** Send a wrong server hash. */
  readonly badServerHash?: boolean;
  /** Never answer after the auth types (to test deadlines). */
  readonly stall?: boolean;
}

export async function writeCookieFile(
  path: string,
  cookie: Uint8Array = randomBytes(32),
): Promise<Uint8Array> {
  await writeFile(path, Buffer.concat([COOKIE_HEADER, cookie]), { mode: 0o600 });
  return cookie;
}

function hmac(cookie: Uint8Array, label: string, cn: Uint8Array, sn: Uint8Array): Buffer {
  return createHmac('sha256', cookie).update(label).update(cn).update(sn).digest();
}

export async function startFakeExtOrPort(opts: FakeExtOrPortOptions): Promise<{
  port: number;
  sessions: ExtOrSession[];
  close: () => Promise<void>;
}> {
  const sessions: ExtOrSession[] = [];
  const l = await listenLocal((s: Socket) => {
    s.on('error', () => undefined);
    const session: ExtOrSession = { authenticated: false };
    sessions.push(session);
    let buf = Buffer.alloc(0);
    let state: 'type' | 'nonce' | 'hash' | 'cmds' | 'open' = 'type';
    let clientNonce = Buffer.alloc(0);
    let serverNonce = Buffer.alloc(0);
    let cookie = Buffer.alloc(0);
    s.write(Buffer.from([...(opts.authTypes ?? [1]), 0]));
    if (opts.stall === true) return;
    s.on('data', (chunk: Buffer) => {
      if (state === 'open') {
        s.write(chunk);
        return;
      }
      buf = Buffer.concat([buf, chunk]);
      // Bounded: each pass consumes bytes or waits for more.
      for (;;) {
        if (state === 'type') {
          if (buf.length < 1) return;
          if (buf[0] !== 1) return void s.destroy();
          buf = buf.subarray(1);
          state = 'nonce';
        } else if (state === 'nonce') {
          if (buf.length < 32) return;
          clientNonce = buf.subarray(0, 32);
          buf = buf.subarray(32);
          serverNonce = randomBytes(32);
          s.pause();
          // tor reads its cookie file; so does the fake, to follow rewrites.
          void readFile(opts.cookieFile).then((f) => {
            cookie = f.subarray(32);
            const sh = hmac(
              cookie,
              'ExtORPort authentication server-to-client hash',
              clientNonce,
              serverNonce,
            );
            if (opts.badServerHash === true) sh[0] = (sh[0] ?? 0) ^ 1;
            s.write(Buffer.concat([sh, serverNonce]));
            state = 'hash';
            s.resume();
            s.emit('data', Buffer.alloc(0));
          });
          return;
        } else if (state === 'hash') {
          if (buf.length < 32) return;
          const want = hmac(
            cookie,
            'ExtORPort authentication client-to-server hash',
            clientNonce,
            serverNonce,
          );
          const ok = timingSafeEqual(buf.subarray(0, 32), want);
          buf = buf.subarray(32);
          s.write(Buffer.from([ok ? 1 : 0]));
          if (!ok) return void s.end();
          session.authenticated = true;
          state = 'cmds';
        } else if (state === 'cmds') {
          if (buf.length < 4) return;
          const cmd = buf.readUInt16BE(0);
          const len = buf.readUInt16BE(2);
          if (buf.length < 4 + len) return;
          const body = buf.subarray(4, 4 + len).toString();
          buf = buf.subarray(4 + len);
          if (cmd === 1) session.userAddr = body;
          else if (cmd === 2) session.transport = body;
          else if (cmd === 0) {
            for (let i = 0; i < (opts.extraCommands ?? 0); i++)
              s.write(Buffer.from([0x10, 0x02, 0, 1, 0x7a]));
            if (opts.deny === true) {
              s.end(Buffer.from([0x10, 0x01, 0, 0]));
              return;
            }
            s.write(Buffer.from([0x10, 0x00, 0, 0]));
            state = 'open';
            if (buf.length > 0) s.write(buf);
            return;
          }
        } else {
          return;
        }
      }
    });
  });
  return { port: l.port, sessions, close: l.close };
}
