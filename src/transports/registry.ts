import type { Transport } from './types.js';

/**
 * An explicit set of transports by name. No module registers anything on import: the CLI builds
 * the registry it needs with `builtinRegistry()`, a library user may build their own.
 */
export class TransportRegistry {
  readonly #byName = new Map<string, Transport>();

  constructor(transports: Iterable<Transport> = []) {
    for (const t of transports) this.register(t);
  }

  register(t: Transport): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.name)) {
      throw new TypeError(`transport name ${JSON.stringify(t.name)} is not a C identifier`);
    }
    if (this.#byName.has(t.name)) throw new TypeError(`transport ${t.name} registered twice`);
    this.#byName.set(t.name, t);
  }

  get(name: string): Transport | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}
