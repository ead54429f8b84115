/**
 * steppe's public library entry. Importing it has no side effects: nothing listens, nothing is
 * registered globally.
 */
export * from './errors.js';
export type {
  PtArgs,
  Transport,
  ClientFactory,
  ServerFactory,
  ClientOptions,
  ServerOptions,
  HandshakeOptions,
} from './transports/types.js';
export { ptArgs, argValue } from './transports/types.js';
export { TransportRegistry } from './transports/registry.js';
export { channels } from './diagnostics.js';
