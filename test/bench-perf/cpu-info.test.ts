import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuDetail } from '../../bench/perf/cpu-info.js';

// Abridged from /proc/cpuinfo on the two kinds of VM the README's runs came from.
const EPYC_GENOA = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC
stepping\t: 1
cpu MHz\t\t: 2596.134
flags\t\t: fpu sse2 avx2 bmi2 adx sha_ni avx512f avx512dq

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 99
`;

const XEON = `processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R) Processor
stepping\t: 7
cpu MHz\t\t: 2999.998
flags\t\t: fpu sse2 avx2 bmi2 adx
`;

test('cpuDetail tells two VMs with the same model name apart, from the first processor only', () => {
  assert.equal(
    cpuDetail(EPYC_GENOA),
    'family 25 model 17 stepping 1, 2596 MHz, AVX-512 AVX2 ADX BMI2 SHA-NI',
  );
  assert.equal(cpuDetail(XEON), 'family 6 model 85 stepping 7, 3000 MHz, AVX2 ADX BMI2');
});

test('cpuDetail without /proc/cpuinfo fields falls back to what node:os reports', () => {
  const d = cpuDetail('');
  assert.doesNotMatch(d, /family|undefined|NaN/);
});
