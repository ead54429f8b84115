/**
 * dummy, the Python obfsproxy's test transport: bytes pass through unchanged, both sides. It
 * hides nothing and is for testing a setup (tor's ClientTransportPlugin/ServerTransportPlugin
 * lines, the tunnel, a firewall rule) without any obfuscation in the way.
 */
import type { StreamCodec } from '../codec-stream.js';
import { codecTransport } from '../codec-transport.js';

const passThrough: StreamCodec = {
  encode: (data) => data,
  decode: (chunk) => chunk,
};

/** Library API. Import as `import { dummy } from 'steppe'`. */
export const dummy = codecTransport('dummy', () => passThrough);
export const dummyTransport = dummy.transport;
