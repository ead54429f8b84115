import { b64Transport } from './b64/index.js';
import { dummyTransport } from './dummy/index.js';
import { obfs2Transport } from './obfs2/index.js';
import { obfs3Transport } from './obfs3/index.js';
import { obfs4Transport } from './obfs4/index.js';
import { webtunnelTransport } from './webtunnel/index.js';
import { TransportRegistry } from './registry.js';
import { scramblesuitTransport } from './scramblesuit/index.js';

/**
 * The transports steppe ships, by name. Built on demand: importing this registers nothing.
 * A transport added here must also be added to builtin-loader.ts (managed mode's on-demand
 * imports); test/registry.test.ts fails until it is.
 */
export function builtinRegistry(): TransportRegistry {
  return new TransportRegistry([
    obfs4Transport,
    obfs3Transport,
    obfs2Transport,
    scramblesuitTransport,
    webtunnelTransport,
    dummyTransport,
    b64Transport,
  ]);
}
