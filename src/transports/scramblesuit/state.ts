/**
 * The ScrambleSuit server's state directory. obfs4proxy has no ScrambleSuit server and the Python
 * one pickled a Python object, so this format is steppe's own, in the style of obfs4_state.json:
 *
 *   scramblesuit_state.json      {"password": base32 k_B (used when no password= option is given),
 *                                 "prng-seed": hex32, "ticket-aes-key": hex16,
 *                                 "ticket-hmac-key": hex32, "ticket-keys-created": Unix seconds,
 *                                 "old-ticket-aes-key"?, "old-ticket-hmac-key"?}  (mode 0600)
 *   scramblesuit_bridgeline.txt  a comment header and "Bridge scramblesuit <IP ADDRESS>:<PORT>
 *                                 <FINGERPRINT> password=..."
 *
 * The ticket keys are replaced every 7 days (the ticket lifetime) and the previous pair is kept,
 * so every ticket still within its lifetime can be opened, as the Python server does.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '../../crypto/bytes.js';
import { randomBytes, type RandomSource } from '../../crypto/random.js';
import { PtError } from '../../errors.js';
import { readStateFile } from '../../fs/read-state.js';
import { writeFileAtomic } from '../../fs/write-atomic.js';
import {
  argValue,
  ptArgs,
  type IdentityOps,
  type PtArgs,
  type TransportIdentity,
} from '../types.js';
import {
  PASSWORD_ARG,
  PRNG_SEED_LENGTH,
  TICKET_AES_KEY_LENGTH,
  TICKET_HMAC_KEY_LENGTH,
  TICKET_LIFETIME_S,
} from './constants.js';
import { encodePassword, newPassword, parsePassword } from './password.js';
import { newTicketKeys, type TicketKeys } from './ticket.js';

export const STATE_FILE = 'scramblesuit_state.json';
export const BRIDGE_LINE_FILE = 'scramblesuit_bridgeline.txt';

export interface ServerState {
  /** k_B clients must know: the password= option if given, else `storedPassword`. */
  readonly secret: Uint8Array;
  /** The generated password kept in the state file. */
  readonly storedPassword: Uint8Array;
  /** Sent to every client in a PRNG_SEED message; the length distribution comes from it. */
  readonly prngSeed: Uint8Array;
  readonly ticketKeys: TicketKeys;
  readonly oldTicketKeys: TicketKeys | null;
  /** Unix seconds when `ticketKeys` were made. */
  readonly ticketKeysCreated: number;
}

export function newServerState(nowS: number, rng?: RandomSource): ServerState {
  const storedPassword = newPassword(rng);
  return {
    secret: storedPassword,
    storedPassword,
    prngSeed: randomBytes(PRNG_SEED_LENGTH, rng),
    ticketKeys: newTicketKeys(rng),
    oldTicketKeys: null,
    ticketKeysCreated: nowS,
  };
}

/** The state with fresh ticket keys if the current ones are older than a ticket lifetime. */
export function rotateTicketKeys(st: ServerState, nowS: number, rng?: RandomSource): ServerState {
  if (nowS - st.ticketKeysCreated <= TICKET_LIFETIME_S) return st;
  return {
    ...st,
    oldTicketKeys: st.ticketKeys,
    ticketKeys: newTicketKeys(rng),
    ticketKeysCreated: nowS,
  };
}

export function serializeState(st: ServerState): string {
  const o: Record<string, string | number> = {
    password: encodePassword(st.storedPassword),
    'prng-seed': bytesToHex(st.prngSeed),
    'ticket-aes-key': bytesToHex(st.ticketKeys.aesKey),
    'ticket-hmac-key': bytesToHex(st.ticketKeys.hmacKey),
    'ticket-keys-created': st.ticketKeysCreated,
  };
  if (st.oldTicketKeys !== null) {
    o['old-ticket-aes-key'] = bytesToHex(st.oldTicketKeys.aesKey);
    o['old-ticket-hmac-key'] = bytesToHex(st.oldTicketKeys.hmacKey);
  }
  return JSON.stringify(o);
}

function hexField(
  o: Record<string, unknown>,
  k: string,
  length: number,
  where: string,
): Uint8Array {
  const v = o[k];
  if (typeof v !== 'string' || !new RegExp(`^[0-9a-fA-F]{${length * 2}}$`).test(v)) {
    throw new PtError('ERR_INVALID_STATE', `${where}: "${k}" must be ${length * 2} hex digits`);
  }
  return hexToBytes(v);
}

export function parseStateJson(text: string, where: string): ServerState {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch (e) {
    throw new PtError('ERR_INVALID_STATE', `${where} is not valid JSON`, { cause: e });
  }
  if (typeof js !== 'object' || js === null || Array.isArray(js)) {
    throw new PtError('ERR_INVALID_STATE', `${where} is not a JSON object`);
  }
  const o = js as Record<string, unknown>;
  let storedPassword: Uint8Array;
  try {
    storedPassword = parsePassword(
      typeof o['password'] === 'string' ? o['password'] : undefined,
      where,
    );
  } catch (e) {
    throw new PtError('ERR_INVALID_STATE', (e as Error).message, { cause: e });
  }
  const created = o['ticket-keys-created'];
  if (!Number.isSafeInteger(created)) {
    throw new PtError('ERR_INVALID_STATE', `${where}: "ticket-keys-created" must be an integer`);
  }
  const hasOld = o['old-ticket-aes-key'] !== undefined || o['old-ticket-hmac-key'] !== undefined;
  return {
    secret: storedPassword,
    storedPassword,
    prngSeed: hexField(o, 'prng-seed', PRNG_SEED_LENGTH, where),
    ticketKeys: {
      aesKey: hexField(o, 'ticket-aes-key', TICKET_AES_KEY_LENGTH, where),
      hmacKey: hexField(o, 'ticket-hmac-key', TICKET_HMAC_KEY_LENGTH, where),
    },
    oldTicketKeys: hasOld
      ? {
          aesKey: hexField(o, 'old-ticket-aes-key', TICKET_AES_KEY_LENGTH, where),
          hmacKey: hexField(o, 'old-ticket-hmac-key', TICKET_HMAC_KEY_LENGTH, where),
        }
      : null,
    ticketKeysCreated: created as number,
  };
}

export function bridgeLineArgs(secret: Uint8Array): string {
  return `${PASSWORD_ARG}=${encodePassword(secret)}`;
}

export function bridgeLineFile(st: ServerState): string {
  return (
    '# scramblesuit bridge line for tor clients, written by steppe.\n' +
    '#\n' +
    '# It is generated each time the bridge starts; editing it has no effect. Before handing\n' +
    '# it out, replace the placeholders:\n' +
    '#  <IP ADDRESS>  - the public IP address of the bridge\n' +
    '#  <PORT>        - the TCP port the scramblesuit listener is reachable on\n' +
    "#  <FINGERPRINT> - the bridge's relay fingerprint\n\n" +
    `Bridge scramblesuit <IP ADDRESS>:<PORT> <FINGERPRINT> ${bridgeLineArgs(st.secret)}\n`
  );
}

/** Writes the state and bridge-line files. */
export async function saveServerState(stateDir: string, st: ServerState): Promise<void> {
  try {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(stateDir, STATE_FILE), serializeState(st));
    await writeFileAtomic(join(stateDir, BRIDGE_LINE_FILE), bridgeLineFile(st));
  } catch (e) {
    throw new PtError(
      'ERR_INVALID_STATE',
      `cannot write the scramblesuit state in ${stateDir}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** k_B from a password= option, or null when there is none. */
function configuredSecret(options: PtArgs): Uint8Array | null {
  const opt = argValue(options, PASSWORD_ARG);
  return opt === undefined ? null : parsePassword(opt, 'the scramblesuit server options');
}

/**
 * The state in `stateDir`'s scramblesuit_state.json, or null when there is no such file.
 * Reads only. @throws PtError('ERR_INVALID_STATE') when the file cannot be read or is damaged.
 */
export async function readServerState(stateDir: string): Promise<ServerState | null> {
  const path = join(stateDir, STATE_FILE);
  const text = await readStateFile(path);
  return text === null ? null : parseStateJson(text, path);
}

/** The client args and the two state files of `st`, as loadServerState writes them. */
export function identityOf(st: ServerState): TransportIdentity {
  return {
    transport: 'scramblesuit',
    clientArgs: ptArgs({ [PASSWORD_ARG]: encodePassword(st.secret) }),
    files: new Map([
      [STATE_FILE, serializeState(st)],
      [BRIDGE_LINE_FILE, bridgeLineFile(st)],
    ]),
  };
}

/** ScrambleSuit's side-effect-free identity operations (Transport.identity). */
export const scramblesuitIdentity: IdentityOps = {
  create(opts = {}) {
    const configured = configuredSecret(opts.options ?? new Map());
    const st = newServerState(Math.floor(Date.now() / 1000), opts.rng);
    return identityOf(configured === null ? st : { ...st, secret: configured });
  },
  async read(stateDir, opts = {}) {
    const configured = configuredSecret(opts.options ?? new Map());
    const st = await readServerState(stateDir);
    if (st === null) return null;
    return identityOf(configured === null ? st : { ...st, secret: configured });
  },
};

/**
 * Loads scramblesuit_state.json (creating it on first start), rotates the ticket keys when due,
 * applies a password= option and writes both files back. A bad option is an InvalidArgsError
 * naming `password`; a damaged state file is ERR_INVALID_STATE (it holds the generated password
 * clients already have, so it is never silently replaced).
 */
export async function loadServerState(
  stateDir: string,
  options: PtArgs,
  nowS: number,
  rng?: RandomSource,
): Promise<ServerState> {
  const configured = configuredSecret(options);
  let st = (await readServerState(stateDir)) ?? newServerState(nowS, rng);
  st = rotateTicketKeys(st, nowS, rng);
  if (configured !== null) st = { ...st, secret: configured };
  await saveServerState(stateDir, st);
  return st;
}
