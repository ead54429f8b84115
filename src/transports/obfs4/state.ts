/**
 * obfs4 server identity and its on-disk form, compatible with obfs4proxy and lyrebird so an
 * operator can move a bridge between implementations with its bridge line unchanged:
 *
 *   obfs4_state.json     {"node-id":hex20,"private-key":hex32,"public-key":hex32,
 *                         "drbg-seed":hex24,"iat-mode":n}   (mode 0600, rewritten on start)
 *   obfs4_bridgeline.txt a comment header and "Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT>
 *                         cert=... iat-mode=n"
 *
 * Also the client side of the same facts: `cert=` is base64(NODEID ‖ B) without its "==".
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../crypto/bytes.js';
import { DRBG_SEED_LENGTH } from '../../crypto/drbg.js';
import { randomBytes, type RandomSource } from '../../crypto/random.js';
import { identityFromPrivate, newIdentityKeypair } from '../../crypto/x25519.js';
import { InvalidArgsError, PtError } from '../../errors.js';
import { readStateFile } from '../../fs/read-state.js';
import { writeFileAtomicSync } from '../../fs/write-atomic.js';
import {
  argValue,
  ptArgs,
  type IdentityOps,
  type PtArgs,
  type TransportIdentity,
} from '../types.js';
import { BoundedCache } from '../bounded-cache.js';
import { NODE_ID_LENGTH, PUBLIC_KEY_LENGTH, type IatMode } from './constants.js';
import type { ServerIdentity, ServerIdentityKeys } from './handshake.js';

export const STATE_FILE = 'obfs4_state.json';
export const BRIDGE_LINE_FILE = 'obfs4_bridgeline.txt';
const CERT_LENGTH = NODE_ID_LENGTH + PUBLIC_KEY_LENGTH; // 52 bytes, 70 base64 characters unpadded

export interface ServerState extends ServerIdentityKeys {
  readonly drbgSeed: Uint8Array;
  readonly iatMode: IatMode;
}

// ---------------------------------------------------------------- cert

export function encodeCert(identity: ServerIdentity): string {
  const raw = Buffer.concat([identity.nodeId, identity.publicKey]);
  return raw.toString('base64').replace(/=+$/, '');
}

export function decodeCert(cert: string): ServerIdentity {
  if (!/^[A-Za-z0-9+/]{70}$/.test(cert)) {
    const why =
      cert.length !== 70
        ? `it has ${cert.length} characters, a cert has 70`
        : 'it contains characters outside base64';
    throw new InvalidArgsError(`invalid obfs4 cert: ${why} (copy it whole from the bridge line)`);
  }
  const raw = Buffer.from(cert + '==', 'base64');
  if (raw.length !== CERT_LENGTH)
    throw new InvalidArgsError('invalid obfs4 cert: does not decode to 52 bytes');
  return {
    nodeId: new Uint8Array(raw.subarray(0, NODE_ID_LENGTH)),
    publicKey: new Uint8Array(raw.subarray(NODE_ID_LENGTH)),
  };
}

export function parseIatMode(value: string | undefined, where: string): IatMode {
  if (value === undefined) throw new InvalidArgsError(`missing iat-mode in ${where} (0, 1 or 2)`);
  if (!/^[012]$/.test(value)) {
    throw new InvalidArgsError(
      `invalid iat-mode ${JSON.stringify(value)} in ${where}: must be 0, 1 or 2`,
    );
  }
  return Number(value) as IatMode;
}

function hexArg(value: string, name: string, length: number, where: string): Uint8Array {
  if (!new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(value)) {
    throw new InvalidArgsError(`invalid ${name} in ${where}: must be ${length * 2} hex digits`);
  }
  return hexToBytes(value);
}

// ---------------------------------------------------------------- client args

/**
 * Identities decoded from certs, by cert. tor sends its bridge's cert with every connection; one
 * decoded identity object per bridge also lets the handshake prepare the bridge's MAC key once
 * (handshake.ts). Bounded: a client that dials more bridges than this decodes again.
 */
const identityByCert = new BoundedCache<string, ServerIdentity>(64);

function identityOfCert(cert: string): ServerIdentity {
  return identityByCert.get(cert) ?? identityByCert.set(cert, decodeCert(cert));
}

export interface ClientArgs {
  readonly identity: ServerIdentity;
  readonly iatMode: IatMode;
}

/**
 * Parses a bridge line's args: `cert` and `iat-mode` (0.0.3 and later), or the legacy
 * `node-id` + `public-key` hex pair, as obfs4proxy accepts them.
 */
export function parseClientArgs(args: PtArgs): ClientArgs {
  const where = 'the obfs4 bridge line';
  const cert = argValue(args, 'cert');
  let identity: ServerIdentity;
  if (cert !== undefined) {
    identity = identityOfCert(cert);
  } else {
    const nodeId = argValue(args, 'node-id');
    const publicKey = argValue(args, 'public-key');
    if (nodeId === undefined || publicKey === undefined) {
      throw new InvalidArgsError(
        `missing cert in ${where} (expected cert=<70 characters> iat-mode=<0|1|2>)`,
      );
    }
    identity = {
      nodeId: hexArg(nodeId, 'node-id', NODE_ID_LENGTH, where),
      publicKey: hexArg(publicKey, 'public-key', PUBLIC_KEY_LENGTH, where),
    };
  }
  return { identity, iatMode: parseIatMode(argValue(args, 'iat-mode'), where) };
}

// ---------------------------------------------------------------- server state

interface StateJson {
  'node-id': string;
  'private-key': string;
  'public-key'?: string;
  'drbg-seed': string;
  'iat-mode'?: number;
}

function stateFromParts(
  nodeIdHex: string,
  privateKeyHex: string,
  seedHex: string,
  iatMode: IatMode,
  where: string,
  publicKeyHex?: string,
): ServerState {
  const nodeId = hexArg(nodeIdHex, 'node-id', NODE_ID_LENGTH, where);
  const privateKey = hexArg(privateKeyHex, 'private-key', PUBLIC_KEY_LENGTH, where);
  const drbgSeed = hexArg(seedHex, 'drbg-seed', DRBG_SEED_LENGTH, where);
  // The public key is always computed from the private key. A stored one that differs means a
  // hand-edited or half-copied file: the cert it was published under cannot work with this
  // key, so the bridge refuses to start rather than hand out a second, different cert.
  const { publicKey } = identityFromPrivate(privateKey);
  if (publicKeyHex !== undefined) {
    const stored = hexArg(publicKeyHex, 'public-key', PUBLIC_KEY_LENGTH, where);
    if (bytesToHex(stored) !== bytesToHex(publicKey)) {
      throw new PtError(
        'ERR_INVALID_STATE',
        `${where}: "public-key" does not belong to "private-key" (the key pair is ${bytesToHex(publicKey)}, the file says ${bytesToHex(stored)}); restore the file from a backup, or remove "public-key" to keep this private key and its cert`,
      );
    }
  }
  return { nodeId, privateKey, publicKey, drbgSeed, iatMode };
}

export function newServerState(iatMode: IatMode, rng?: RandomSource): ServerState {
  const { privateKey, publicKey } = newIdentityKeypair(rng);
  return {
    nodeId: randomBytes(NODE_ID_LENGTH, rng),
    privateKey,
    publicKey,
    drbgSeed: randomBytes(DRBG_SEED_LENGTH, rng),
    iatMode,
  };
}

export function serializeState(st: ServerState): string {
  // Same key order and compact form as Go's json.Marshal of obfs4proxy's struct.
  return JSON.stringify({
    'node-id': bytesToHex(st.nodeId),
    'private-key': bytesToHex(st.privateKey),
    'public-key': bytesToHex(st.publicKey),
    'drbg-seed': bytesToHex(st.drbgSeed),
    'iat-mode': st.iatMode,
  });
}

export function parseStateJson(text: string, where: string): ServerState {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch (e) {
    throw new PtError('ERR_INVALID_STATE', `${where} is not valid JSON`, { cause: e });
  }
  if (typeof js !== 'object' || js === null)
    throw new PtError('ERR_INVALID_STATE', `${where} is not a JSON object`);
  const o = js as Partial<Record<keyof StateJson, unknown>>;
  for (const k of ['node-id', 'private-key', 'drbg-seed'] as const) {
    if (typeof o[k] !== 'string') throw new PtError('ERR_INVALID_STATE', `${where} lacks "${k}"`);
  }
  const iat = o['iat-mode'] ?? 0;
  if (iat !== 0 && iat !== 1 && iat !== 2) {
    throw new PtError(
      'ERR_INVALID_STATE',
      `${where} has an invalid "iat-mode" (must be 0, 1 or 2)`,
    );
  }
  const pub = o['public-key'];
  if (pub !== undefined && typeof pub !== 'string')
    throw new PtError('ERR_INVALID_STATE', `${where} has a "public-key" that is not a string`);
  try {
    return stateFromParts(
      o['node-id'] as string,
      o['private-key'] as string,
      o['drbg-seed'] as string,
      iat,
      where,
      pub,
    );
  } catch (e) {
    throw new PtError('ERR_INVALID_STATE', (e as Error).message, { cause: e });
  }
}

export function bridgeLineArgs(st: {
  nodeId: Uint8Array;
  publicKey: Uint8Array;
  iatMode: IatMode;
}): string {
  return `cert=${encodeCert(st)} iat-mode=${st.iatMode}`;
}

export function bridgeLineFile(st: ServerState): string {
  return (
    '# obfs4 bridge line for tor clients, written by steppe.\n' +
    '#\n' +
    "# It is generated from this bridge's obfs4_state.json each time the bridge starts;\n" +
    '# editing it has no effect. Before handing it out, replace the placeholders:\n' +
    '#  <IP ADDRESS>  - the public IP address of the bridge\n' +
    '#  <PORT>        - the TCP port the obfs4 listener is reachable on\n' +
    "#  <FINGERPRINT> - the bridge's relay fingerprint\n\n" +
    `Bridge obfs4 <IP ADDRESS>:<PORT> <FINGERPRINT> ${bridgeLineArgs(st)}\n`
  );
}

/**
 * The state in `stateDir`'s obfs4_state.json, or null when there is no such file. Reads only.
 * @throws PtError('ERR_INVALID_STATE') when the file cannot be read or is damaged.
 */
export async function readServerState(stateDir: string): Promise<ServerState | null> {
  const path = join(stateDir, STATE_FILE);
  const text = await readStateFile(path);
  return text === null ? null : parseStateJson(text, path);
}

/** The client args and the two state files of `st`, as loadServerState writes them. */
export function identityOf(st: ServerState): TransportIdentity {
  return {
    transport: 'obfs4',
    clientArgs: ptArgs({ cert: encodeCert(st), 'iat-mode': st.iatMode }),
    files: new Map([
      [STATE_FILE, serializeState(st)],
      [BRIDGE_LINE_FILE, bridgeLineFile(st)],
    ]),
  };
}

/** obfs4's side-effect-free identity operations (Transport.identity). */
export const obfs4Identity: IdentityOps = {
  create(opts = {}) {
    const iat = argValue(opts.options ?? new Map(), 'iat-mode');
    return identityOf(
      newServerState(iat === undefined ? 0 : parseIatMode(iat, 'iat-mode'), opts.rng),
    );
  },
  async read(stateDir, opts = {}) {
    const st = await readServerState(stateDir);
    if (st === null) return null;
    const iat = argValue(opts.options ?? new Map(), 'iat-mode');
    return identityOf(iat === undefined ? st : { ...st, iatMode: parseIatMode(iat, 'iat-mode') });
  },
};

/**
 * Resolves the server identity as obfs4proxy does: from server options when node-id,
 * private-key and drbg-seed are all given, otherwise from obfs4_state.json (created on first
 * start); iat-mode from the options overrides the file. Writes both files back.
 */
export async function loadServerState(
  stateDir: string,
  options: PtArgs,
  rng?: RandomSource,
): Promise<ServerState> {
  const where = 'the obfs4 server options';
  const iatOpt = argValue(options, 'iat-mode');
  const iatOverride = iatOpt === undefined ? undefined : parseIatMode(iatOpt, where);
  const given = (['node-id', 'private-key', 'drbg-seed'] as const).filter((k) => options.has(k));
  let st: ServerState;
  if (given.length === 3) {
    st = stateFromParts(
      argValue(options, 'node-id')!,
      argValue(options, 'private-key')!,
      argValue(options, 'drbg-seed')!,
      iatOverride ?? 0,
      where,
    );
  } else if (given.length > 0) {
    const missing = ['node-id', 'private-key', 'drbg-seed'].filter((k) => !options.has(k));
    throw new InvalidArgsError(
      `${where} give ${given.join(', ')} but not ${missing.join(', ')}: give all three or none`,
    );
  } else {
    st = (await readServerState(stateDir)) ?? newServerState(iatOverride ?? 0, rng);
    if (iatOverride !== undefined) st = { ...st, iatMode: iatOverride };
  }
  try {
    // Synchronous: these are a start's writes (writeFileAtomicSync says why).
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(join(stateDir, STATE_FILE), serializeState(st));
    writeFileAtomicSync(join(stateDir, BRIDGE_LINE_FILE), bridgeLineFile(st));
  } catch (e) {
    throw new PtError(
      'ERR_INVALID_STATE',
      `cannot write the obfs4 state in ${stateDir}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return st;
}
