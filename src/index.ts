/**
 * steppe's public library entry. Importing it has no side effects: nothing listens, nothing is
 * registered globally.
 *
 *   import { obfs4 } from 'steppe';
 *   const stream = await obfs4.dial({ host, port, cert, iatMode: 0 });
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
export { builtinRegistry } from './transports/builtins.js';
export {
  obfs4,
  obfs4Transport,
  Obfs4ServerFactory,
  encodeCert,
  decodeCert,
  type Obfs4DialOptions,
  type Obfs4ServerOptions,
  type Obfs4ClientArgs,
  type Obfs4Stream,
  type IatMode,
  type ServerState,
} from './transports/obfs4/index.js';
export {
  obfs3,
  obfs3Transport,
  Obfs3ServerFactory,
  type Obfs3DialOptions,
  type Obfs3ServerOptions,
} from './transports/obfs3/index.js';
export {
  obfs2,
  obfs2Transport,
  Obfs2ServerFactory,
  type Obfs2DialOptions,
  type Obfs2ServerOptions,
} from './transports/obfs2/index.js';
export { CodecStream } from './transports/codec-stream.js';
export {
  createIdentity,
  readIdentity,
  writeIdentity,
  existingIdentityFiles,
  type IdentityOptions,
} from './identity.js';
export type { TransportIdentity, IdentityOps } from './transports/types.js';
export {
  directConnector,
  proxyConnector,
  openDialSocket,
  type Connector,
  type DialTarget,
  type DirectConnectorOptions,
} from './net/connector.js';
export {
  scramblesuit,
  scramblesuitTransport,
  ScrambleSuitServerFactory,
  ScrambleSuitClientFactory,
  type ScrambleSuitDialOptions,
  type ScrambleSuitServerOptions,
  type ScrambleSuitStream,
} from './transports/scramblesuit/index.js';
export { dummy, dummyTransport } from './transports/dummy/index.js';
export { b64, b64Transport } from './transports/b64/index.js';
export type { CodecDialOptions } from './transports/codec-transport.js';
export { channels } from './diagnostics.js';
export type {
  HandshakeEvent,
  ConnectionOpenedEvent,
  ConnectionClosedEvent,
} from './diagnostics.js';
export { VERSION } from './version.js';
export {
  webtunnel,
  webtunnelTransport,
  WebtunnelServerFactory,
  chainHash as webtunnelChainHash,
  pinForPem as webtunnelPinForPem,
  KZ_INTERCEPTION_ROOTS,
  type WebtunnelDialOptions,
  type WebtunnelCreateServerOptions,
  type WebtunnelTlsOptions,
} from './transports/webtunnel/index.js';
