/**
 * A logger whose destination and settings can be replaced while the process runs: the object
 * handed to the tunnel and its connections stays the same, the logger behind it changes. This is
 * how SIGHUP reopens a log file that logrotate moved away, or applies a new log level, without
 * touching open connections.
 */
import type { Logger } from './logger.js';

export class SwappableLogger implements Logger {
  #current: Logger;

  constructor(initial: Logger) {
    this.#current = initial;
  }

  get enabled(): boolean {
    return this.#current.enabled;
  }

  /** Makes `next` the logger; the previous one is flushed and closed (its file, not stderr). */
  replace(next: Logger): void {
    const old = this.#current;
    this.#current = next;
    if (old !== next) old.close();
  }

  error(m: string): void {
    this.#current.error(m);
  }
  warn(m: string): void {
    this.#current.warn(m);
  }
  notice(m: string): void {
    this.#current.notice(m);
  }
  info(m: string): void {
    this.#current.info(m);
  }
  debug(m: string): void {
    this.#current.debug(m);
  }
  addr(address: string): string {
    return this.#current.addr(address);
  }
  flush(): void {
    this.#current.flush();
  }
  close(): void {
    this.#current.close();
  }
}
