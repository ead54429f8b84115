/**
 * @peculiar/x509 resolves its ASN.1 providers through tsyringe, which refuses to load without the
 * Reflect metadata API (normally the `reflect-metadata` package, which this project does not
 * ship). This installs the few functions tsyringe and TypeScript's emitted `__metadata` helper
 * call, and only when they are missing. It is imported for its effect by certs.ts, the only
 * module that loads @peculiar/x509, so the library entry (src/index.ts) never installs it.
 */

type Key = unknown;
type Prop = string | symbol | undefined;

const store = new WeakMap<object, Map<Prop, Map<Key, unknown>>>();

function table(target: object, prop: Prop, create: boolean): Map<Key, unknown> | undefined {
  let byProp = store.get(target);
  if (byProp === undefined) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let t = byProp.get(prop);
  if (t === undefined && create) {
    t = new Map();
    byProp.set(prop, t);
  }
  return t;
}

function getOwnMetadata(key: Key, target: object, prop?: Prop): unknown {
  return table(target, prop, false)?.get(key);
}

function getMetadata(key: Key, target: object, prop?: Prop): unknown {
  for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
    const m = table(t, prop, false);
    if (m?.has(key)) return m.get(key);
  }
  return undefined;
}

function defineMetadata(key: Key, value: unknown, target: object, prop?: Prop): void {
  table(target, prop, true)!.set(key, value);
}

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  Object.assign(R, {
    getMetadata,
    getOwnMetadata,
    defineMetadata,
    hasMetadata: (key: Key, target: object, prop?: Prop) =>
      getMetadata(key, target, prop) !== undefined,
    hasOwnMetadata: (key: Key, target: object, prop?: Prop) =>
      table(target, prop, false)?.has(key) ?? false,
    metadata:
      (key: Key, value: unknown) =>
      (target: object, prop?: Prop): void =>
        defineMetadata(key, value, target, prop),
  });
}

export {};
