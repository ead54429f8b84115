import type { Duplex } from 'node:stream';

/**
 * ByteReader hands a stream back explicitly paused, and an explicitly paused stream ignores a
 * new 'data' listener. webtunnel returns the socket itself as the tunnel, so it resets it to
 * the state of a fresh socket: flowing as soon as someone listens or pipes.
 */
export function unpause(stream: Duplex): void {
  (stream as { readableFlowing: boolean | null }).readableFlowing = null;
}
