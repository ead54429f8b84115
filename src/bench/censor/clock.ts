/**
 * Time as the censor models see it. Residual blocks and blocklist TTLs are specified in real-world
 * durations (180 s, 12 h); `timeScale` shrinks them so that a test can observe a 180 s residual in
 * 1.8 s (timeScale 0.01). Only durations are scaled, never the clock itself.
 */
export interface Clock {
  /** Milliseconds, monotonic enough for expiry checks. */
  now(): number;
  /** Multiplier applied to every model duration (1 = real time). */
  readonly timeScale: number;
  /** `ms` of model time in clock milliseconds. */
  scaled(ms: number): number;
}

export function systemClock(timeScale = 1, now: () => number = () => performance.now()): Clock {
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new RangeError(`timeScale must be a positive number, got ${timeScale}`);
  }
  return { now, timeScale, scaled: (ms) => ms * timeScale };
}

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  #t: number;
  readonly timeScale: number;

  constructor(start = 0, timeScale = 1) {
    this.#t = start;
    this.timeScale = timeScale;
  }

  now(): number {
    return this.#t;
  }

  scaled(ms: number): number {
    return ms * this.timeScale;
  }

  advance(ms: number): void {
    this.#t += ms;
  }
}
