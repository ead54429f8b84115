/**
 * A FIFO of received bytes kept as a list of chunks, so that appending a socket chunk never
 * copies. Reads return a view into a chunk when the range lies inside one (the common case for
 * obfs4 frames inside a 64 KiB socket read) and copy only across chunk boundaries.
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // offset into #chunks[0]
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Returns the next `n` bytes without consuming them. `n` must not exceed `length`. */
  peek(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError(`peek(${n}) with only ${this.#length} queued`);
    const first = this.#chunks[0];
    if (first === undefined || n === 0) return new Uint8Array(0);
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = new Uint8Array(n);
    let filled = 0;
    let off = this.#head;
    for (const c of this.#chunks) {
      const take = Math.min(c.length - off, n - filled);
      out.set(c.subarray(off, off + take), filled);
      filled += take;
      off = 0;
      if (filled === n) break;
    }
    return out;
  }

  /** Removes `n` bytes from the front. */
  skip(n: number): void {
    if (n > this.#length) throw new RangeError(`skip(${n}) with only ${this.#length} queued`);
    this.#length -= n;
    while (n > 0) {
      const first = this.#chunks[0]!;
      const avail = first.length - this.#head;
      if (avail > n) {
        this.#head += n;
        return;
      }
      n -= avail;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Consumes and returns the next `n` bytes (a view when possible, see class doc). */
  read(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Consumes everything queued as one contiguous array. */
  drain(): Uint8Array {
    return this.read(this.#length);
  }
}
