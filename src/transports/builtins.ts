import { obfs4Transport } from './obfs4/index.js';
import { TransportRegistry } from './registry.js';

/** The transports steppe ships, by name. Built on demand: importing this registers nothing. */
export function builtinRegistry(): TransportRegistry {
  return new TransportRegistry([obfs4Transport]);
}
