// An independent PROXY v2 reader for the tests (what a target such as HAProxy or nginx
// does with the header): written from the spec text, not from the encoder.
import { isIPv4 } from 'node:net';

export interface ParsedProxyV2 {
  command: 'PROXY' | 'LOCAL';
  family: 'tcp4' | 'tcp6' | 'unspec';
  source?: { address: string; port: number };
  destination?: { address: string; port: number };
  /** Header bytes in total. */
  length: number;
}

const SIG = '0d0a0d0a000d0a515549540a';

function v6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // the WHATWG URL parser prints IPv6 hosts in their compressed form
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Null when `buf` does not start with a complete v2 header. */
export function parseProxyV2(input: Uint8Array): ParsedProxyV2 | null {
  const buf = Buffer.from(input);
  if (buf.length < 16 || buf.subarray(0, 12).toString('hex') !== SIG) return null;
  const verCmd = buf[12] ?? 0;
  if (verCmd >> 4 !== 2) throw new Error(`PROXY version ${verCmd >> 4}`);
  const len = buf.readUInt16BE(14);
  if (buf.length < 16 + len) return null;
  const command = (verCmd & 0x0f) === 1 ? 'PROXY' : 'LOCAL';
  const fam = buf[13] ?? 0;
  const body = buf.subarray(16, 16 + len);
  if (command === 'LOCAL' || fam === 0) return { command, family: 'unspec', length: 16 + len };
  if (fam === 0x11) {
    const a = (o: number): string => [...body.subarray(o, o + 4)].join('.');
    const src = a(0);
    if (!isIPv4(src)) throw new Error('bad IPv4');
    return {
      command,
      family: 'tcp4',
      source: { address: src, port: body.readUInt16BE(8) },
      destination: { address: a(4), port: body.readUInt16BE(10) },
      length: 16 + len,
    };
  }
  if (fam === 0x21) {
    return {
      command,
      family: 'tcp6',
      source: { address: v6(body.subarray(0, 16)), port: body.readUInt16BE(32) },
      destination: { address: v6(body.subarray(16, 32)), port: body.readUInt16BE(34) },
      length: 16 + len,
    };
  }
  throw new Error(`family 0x${fam.toString(16)}`);
}
