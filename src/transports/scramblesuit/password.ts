/**
 * The bridge's shared secret k_B as it appears in bridge lines and options: `password=` and 32
 * Base32 characters (20 bytes). Both reference implementations decode with standard Base32;
 * the Python one upper-cases first, so steppe accepts either case, and rejects everything else
 * with one message that names the argument.
 */
import { base32Decode, base32Encode } from '../../crypto/base32.js';
import { randomBytes, type RandomSource } from '../../crypto/random.js';
import { InvalidArgsError } from '../../errors.js';
import { PASSWORD_ARG, SHARED_SECRET_LENGTH } from './constants.js';

const PASSWORD_CHARS = (SHARED_SECRET_LENGTH * 8) / 5; // 32

/** k_B from a `password=` value; `where` says where it came from ("the scramblesuit bridge line"). */
export function parsePassword(value: string | undefined, where: string): Uint8Array {
  const hint = `${PASSWORD_ARG}= must be ${PASSWORD_CHARS} Base32 characters (A-Z, 2-7), as the bridge line gives it`;
  if (value === undefined)
    throw new InvalidArgsError(`missing ${PASSWORD_ARG} in ${where}: ${hint}`);
  const upper = value.toUpperCase();
  if (upper.length !== PASSWORD_CHARS) {
    throw new InvalidArgsError(
      `invalid ${PASSWORD_ARG} in ${where}: it has ${value.length} characters; ${hint}`,
    );
  }
  const bad = /[^A-Z2-7]/.exec(upper);
  if (bad !== null) {
    throw new InvalidArgsError(
      `invalid ${PASSWORD_ARG} in ${where}: ${JSON.stringify(value[bad.index])} at position ${bad.index + 1} is not Base32; ${hint}`,
    );
  }
  const secret = base32Decode(upper);
  if (secret === null || secret.length !== SHARED_SECRET_LENGTH) {
    throw new InvalidArgsError(`invalid ${PASSWORD_ARG} in ${where}: ${hint}`);
  }
  return secret;
}

/** The 32-character form of k_B. */
export function encodePassword(secret: Uint8Array): string {
  if (secret.length !== SHARED_SECRET_LENGTH) throw new RangeError('k_B must be 20 bytes');
  return base32Encode(secret);
}

export function newPassword(rng?: RandomSource): Uint8Array {
  return randomBytes(SHARED_SECRET_LENGTH, rng);
}
