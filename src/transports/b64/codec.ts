/**
 * b64's framing, sans-IO, as the Python obfsproxy's transports/b64.py has it: each write goes out
 * as the standard base64 text of its bytes (with '=' padding, no line breaks), and the receiver
 * decodes the concatenation of such texts however TCP splits it. Every text is a whole number of
 * 4-character groups, so the receiver decodes complete groups and keeps the rest for later.
 * ASCII white space is skipped, as Python's decoder skips it; any other character outside the
 * alphabet is an error (the Python transport stalls on it instead).
 */
import { FramingError } from '../../errors.js';
import type { StreamCodec } from '../codec-stream.js';

const VALID_GROUPS = /^(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)*$/;
const WHITE_SPACE = /[\t\n\r ]/;
const ALL_WHITE_SPACE = /[\t\n\r ]/g;

export class B64Codec implements StreamCodec {
  #pending = '';

  encode(data: Uint8Array): Uint8Array {
    return Buffer.from(
      Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      'latin1',
    );
  }

  decode(chunk: Uint8Array): Uint8Array {
    let text =
      this.#pending +
      Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    if (WHITE_SPACE.test(text)) text = text.replace(ALL_WHITE_SPACE, '');
    const whole = text.length - (text.length % 4);
    this.#pending = text.slice(whole);
    const groups = text.slice(0, whole);
    if (!VALID_GROUPS.test(groups)) {
      throw new FramingError(
        'ERR_FRAME_INVALID',
        'b64: the peer sent something that is not base64',
      );
    }
    // Node's decoder stops at the first '='; decode each padded text separately.
    const parts: Buffer[] = [];
    let start = 0;
    for (let i = groups.indexOf('='); i !== -1; i = groups.indexOf('=', start)) {
      const end = groups[i + 1] === '=' ? i + 2 : i + 1;
      parts.push(Buffer.from(groups.slice(start, end), 'base64'));
      start = end;
    }
    if (start < groups.length) parts.push(Buffer.from(groups.slice(start), 'base64'));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
