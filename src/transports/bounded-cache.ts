/**
 * A map that holds at most `limit` entries and drops the oldest one to make room: for values that
 * cost something to derive from a key that repeats (a bridge's length tables by seed, its
 * identity by cert), where the keys come from peers or bridge lines and so are not bounded.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly limit: number) {}

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** Stores `value` under `key`, first evicting the oldest entry if the cache is full. */
  set(key: K, value: V): V {
    if (!this.#entries.has(key) && this.#entries.size >= this.limit)
      this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
    return value;
  }
}
