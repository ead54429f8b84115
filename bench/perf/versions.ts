/**
 * What each side of the comparison is, for the report's header: a bench result is only
 * comparable with another if both name the CPU, the core count and the runtimes (Node for
 * steppe; the PT's own version and the Go toolchain that built it for obfs4proxy).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OWN_CHECKOUT, type Impl } from './pt-pair.js';

const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');

/**
 * The Go version a binary was built with. Go ≥ 1.18 writes a build-info header (the magic, pointer
 * size, flags; with flag 2 the version follows at offset 32 as a length-prefixed string); older
 * binaries only carry runtime.buildVersion somewhere in their data.
 */
export function goVersionOf(path: string): string | null {
  let bin: Buffer;
  try {
    bin = readFileSync(path);
  } catch {
    return null;
  }
  const at = bin.indexOf(BUILDINFO_MAGIC);
  if (at >= 0 && ((bin[at + 15] ?? 0) & 2) !== 0) {
    const len = bin[at + 32] ?? 0;
    const v = bin.toString('latin1', at + 33, at + 33 + len);
    if (/^go1\.\d+/.test(v)) return v;
  }
  if (at < 0 && !bin.includes('runtime.buildVersion')) return null;
  return /go1\.\d+(?:\.\d+)?/.exec(bin.toString('latin1'))?.[0] ?? null;
}

/** The checkout's commit (`git rev-parse --short HEAD`), or null outside a git work tree. */
function commitOf(dir: string): string | null {
  const out = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
    encoding: 'utf8',
    timeout: 5000,
  });
  return out.status === 0 ? out.stdout.trim() : null;
}

/** The version in a checkout's package.json, or null. */
function versionOf(dir: string): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

/**
 * "steppe 0.1.0 (Node v20.20.2) at 1f304f7", "… at 18b5989 in /tmp/base" for another checkout,
 * "obfs4proxy-0.0.14 (go1.19.8)".
 */
export function describeImpl(impl: Impl, steppeVersion: string): string {
  if (impl.name === 'steppe') {
    const dir = impl.checkout ?? OWN_CHECKOUT;
    const own = dir === OWN_CHECKOUT;
    const commit = commitOf(dir);
    const version = own ? steppeVersion : (versionOf(dir) ?? '(unknown version)');
    return `steppe ${version} (Node ${process.version})${commit === null ? '' : ` at ${commit}`}${own ? '' : ` in ${dir}`}`;
  }
  const out = spawnSync(impl.command, ['-version'], { encoding: 'utf8', timeout: 5000 });
  const version = out.status === 0 ? out.stdout.trim().split('\n')[0] : undefined;
  const go = goVersionOf(impl.command);
  return `${version || impl.name}${go === null ? '' : ` (${go})`}`;
}
