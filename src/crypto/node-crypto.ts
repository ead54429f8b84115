// node:crypto, loaded by the first call that needs it instead of at import. Loading it costs a
// process ~1.35 MiB of RSS (measured beside a bare listener), and a bridge started by tor with
// its obfs4_state.json present needs none of it until the first connection: the identity's
// public key comes from x25519-ladder.ts, the replay filter's key is drawn on first use. The
// hot paths keep one property load per call (the module object is cached here).
import { createRequire } from 'node:module';
import type * as NodeCrypto from 'node:crypto';

let loaded: typeof NodeCrypto | undefined;

export function nodeCrypto(): typeof NodeCrypto {
  return (loaded ??= createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto);
}
