/**
 * The `_final` of the data-phase streams (Obfs4Stream, CodecStream): end the socket's write side,
 * then let the stream finish. The socket's own error, if ending fails, reaches the stream through
 * its 'error' listener, so `cb` is called without it either way.
 */
import type { Duplex } from 'node:stream';

export function endSocketThen(socket: Duplex, cb: () => void): void {
  // A bound shared function, not `() => cb()`: a closure made per connection is recompiled
  // after every full GC (see net/resolvers.ts).
  socket.end(callWithoutArgs.bind(undefined, cb));
}

function callWithoutArgs(cb: () => void): void {
  cb();
}
