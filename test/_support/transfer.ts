import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

export interface TransferResult {
  sentSha: string;
  receivedSha: string;
  received: number;
}

/**
 * Writes `size` random bytes into `stream` (with backpressure) and hashes everything read back.
 * Against an echo server this checks both directions. The stream is ended only once all `size`
 * bytes are back: obfs4proxy's relay does not half-close (the first FIN tears down both
 * directions, as tor never half-closes), so ending early would lose the echo in flight.
 */
export function echoTransfer(
  stream: Duplex,
  size: number,
  timeoutMs = 120_000,
): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const sent = createHash('sha256');
    const recv = createHash('sha256');
    let received = 0;
    const timer = setTimeout(() => {
      stream.destroy();
      reject(
        new Error(`transfer timed out after ${timeoutMs} ms (${received}/${size} bytes back)`),
      );
    }, timeoutMs);
    stream.on('data', (d: Buffer) => {
      recv.update(d);
      received += d.length;
      if (received >= size) stream.end();
    });
    stream.on('end', () => {
      clearTimeout(timer);
      resolve({ sentSha: sent.digest('hex'), receivedSha: recv.digest('hex'), received });
    });
    if (size === 0) stream.end();
    stream.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    let left = size;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, 64 * 1024);
        const chunk = randomBytes(n);
        sent.update(chunk);
        left -= n;
        if (!stream.write(chunk)) {
          stream.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}
