/**
 * b64, the Python obfsproxy's test transport: each direction is base64 text (see codec.ts). It
 * hides nothing (anyone can decode it) and is for testing that a path carries a text-only byte
 * stream, or a setup, without real obfuscation; it interoperates with `obfsproxy b64`.
 */
import { codecTransport } from '../codec-transport.js';
import { B64Codec } from './codec.js';

/** Library API. Import as `import { b64 } from 'steppe'`. */
export const b64 = codecTransport('b64', () => new B64Codec());
export const b64Transport = b64.transport;
