import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ptArgs } from '../../../src/transports/types.js';
import { encodeCert, parseClientArgs } from '../../../src/transports/obfs4/state.js';

function randomIdentity(): { nodeId: Uint8Array; publicKey: Uint8Array } {
  return { nodeId: new Uint8Array(randomBytes(20)), publicKey: new Uint8Array(randomBytes(32)) };
}

test('bridge-line certs decode to their identity, one object per cert, past the cache bound too', () => {
  const identities = Array.from({ length: 150 }, randomIdentity);
  const certs = identities.map(encodeCert);
  for (let round = 0; round < 2; round++) {
    certs.forEach((cert, i) => {
      const { identity } = parseClientArgs(ptArgs({ cert, 'iat-mode': 0 }));
      assert.deepEqual(identity.nodeId, identities[i]!.nodeId);
      assert.deepEqual(identity.publicKey, identities[i]!.publicKey);
    });
  }
  // A cert dialled again right away is the same identity object (the handshake prepares its MAC
  // key once per object).
  const a = parseClientArgs(ptArgs({ cert: certs[0]!, 'iat-mode': 1 })).identity;
  const b = parseClientArgs(ptArgs({ cert: certs[0]!, 'iat-mode': 2 })).identity;
  assert.equal(a, b);
  assert.throws(() => parseClientArgs(ptArgs({ cert: certs[0]!.slice(1), 'iat-mode': 0 })), /70/);
});
