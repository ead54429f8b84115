/**
 * The identity of a server that keeps none (obfs3, obfs2, dummy, b64): no files and no published
 * arguments. `steppe keygen` and `steppe bridgeline` then only print the bridge line, and
 * managed mode's SMETHOD carries a bare `ARGS:`, as obfs4proxy's does for obfs3 and obfs2.
 */
import type { IdentityOps, TransportIdentity } from './types.js';

export function statelessIdentity(transport: string): IdentityOps {
  const identity: TransportIdentity = { transport, clientArgs: new Map(), files: new Map() };
  return {
    create: () => identity,
    read: () => Promise.resolve(identity),
  };
}
