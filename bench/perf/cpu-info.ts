// The CPU a run measured, told apart beyond its model name: cloud VMs report "AMD EPYC" for
// several generations, and the reference's speed differs between them (Go's field arithmetic
// gains more from a newer core than libsodium and Node's socket path do), so a report that says
// only the name cannot be compared with another.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The ISA extensions that change what the crypto on either side costs. */
const FEATURES: readonly [flag: string, label: string][] = [
  ['avx512f', 'AVX-512'],
  ['avx2', 'AVX2'],
  ['adx', 'ADX'],
  ['bmi2', 'BMI2'],
  ['sha_ni', 'SHA-NI'],
];

/**
 * "family 25 model 17 stepping 1, 2596 MHz, AVX-512 AVX2 ADX BMI2 SHA-NI" from the first
 * processor in /proc/cpuinfo, or the clock alone where that file has none of these fields.
 */
export function cpuDetail(cpuinfo?: string): string {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'latin1');
    } catch {
      text = '';
    }
  }
  const first = text.split(/\n\s*\n/)[0] ?? '';
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(first)?.[1]?.trim();
  const parts: string[] = [];
  const family = field('cpu family');
  const model = field('model');
  const stepping = field('stepping');
  if (family !== undefined && model !== undefined)
    parts.push(
      `family ${family} model ${model}${stepping === undefined ? '' : ` stepping ${stepping}`}`,
    );
  const mhz = Number(field('cpu MHz') ?? cpus()[0]?.speed ?? NaN);
  if (Number.isFinite(mhz) && mhz > 0) parts.push(`${Math.round(mhz)} MHz`);
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const have = FEATURES.filter(([flag]) => flags.has(flag)).map(([, label]) => label);
  if (have.length > 0) parts.push(have.join(' '));
  return parts.join(', ');
}
