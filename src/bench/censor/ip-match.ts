import { isIPv4 } from 'node:net';

/**
 * Address patterns used by scopes and lists: "*" (everything), an exact address (v4 or v6), or an
 * IPv4 CIDR block "a.b.c.d/n".
 */
export function ipMatches(pattern: string, ip: string): boolean {
  if (pattern === '*') return true;
  const slash = pattern.indexOf('/');
  if (slash < 0) return pattern === ip;
  const base = pattern.slice(0, slash);
  const bits = Number(pattern.slice(slash + 1));
  if (!isIPv4(base) || !isIPv4(ip) || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    return false;
  }
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
  return (v4(base) & mask) >>> 0 === (v4(ip) & mask) >>> 0;
}

export function ipInAny(patterns: readonly string[], ip: string): boolean {
  return patterns.some((p) => ipMatches(p, ip));
}

function v4(ip: string): number {
  return ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}
