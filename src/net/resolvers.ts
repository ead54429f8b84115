/**
 * `Promise.withResolvers()` (Node 22) for Node 20, without a closure per promise.
 *
 * Why not `new Promise((resolve, reject) => ...)` on the per-connection paths: V8 keeps a
 * closure's optimized code only while some closure that ran it is alive. An executor, a cleanup
 * or a listener made per connection and called once is hot (every connection calls one) and
 * dead soon after, so after each full GC it is optimized again from scratch: in a busy PT that
 * was 7-11 TurboFan compiles per 1000 connections, 22-40 µs of compiler time per connection
 * (bench/perf/README.md). The per-connection code therefore keeps its state in objects whose
 * methods are shared (bound with `bind`, or listener objects with `handleEvent`), and makes its
 * promises here.
 */
export interface Resolvers<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T | PromiseLike<T>) => void;
  readonly reject: (reason?: unknown) => void;
}

let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((reason?: unknown) => void) | undefined;

/** A module-level executor: the one function every promise made here runs. */
function capture(resolve: (value: never) => void, reject: (reason?: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export function withResolvers<T>(): Resolvers<T> {
  const promise = new Promise<T>(capture);
  const r = {
    promise,
    resolve: capturedResolve as (value: T | PromiseLike<T>) => void,
    reject: capturedReject as (reason?: unknown) => void,
  };
  capturedResolve = undefined;
  capturedReject = undefined;
  return r;
}
