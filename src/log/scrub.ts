/**
 * Address scrubbing for logs (obfs4proxy's ElideAddr): client and bridge IP addresses are
 * replaced with `[scrubbed]` and the port is kept, so connections can still be followed
 * through a log without revealing who made them. `--unsafe-logging` turns it off.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const SCRUBBED = '[scrubbed]';

/** `1.2.3.4:80` / `[::1]:80` → `[scrubbed]:80`; anything without a port → `[scrubbed]`. */
export function scrubAddr(addr: string): string {
  const bracket = /^\[[^\]]*\]:(\d+)$/.exec(addr);
  if (bracket !== null) return `${SCRUBBED}:${bracket[1] ?? ''}`;
  const plain = /^[^:]+:(\d+)$/.exec(addr);
  if (plain !== null) return `${SCRUBBED}:${plain[1] ?? ''}`;
  return SCRUBBED;
}

const BRACKETED_V6 = /\[([0-9A-Fa-f:.]+)(?:%[\w.-]+)?\](:\d{1,5})?/g;
const V4 = /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(:\d{1,5})?(?![\w.])/g;
const BARE_V6 =
  /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?)(?:%[\w.-]+)?(?![\w:.])/g;

/**
 * Replaces every IPv4 and IPv6 address found in free text (error messages quote addresses),
 * keeping ports. Strings that only look similar (times like 12:34:56, versions like 1.2.3) stay.
 */
export function scrubText(text: string): string {
  return (
    text
      .replace(BRACKETED_V6, (m: string, ip: string, port: string | undefined) =>
        isIPv6(ip) ? `${SCRUBBED}${port ?? ''}` : m,
      )
      // Bare IPv6 before IPv4, so that ::ffff:192.0.2.1 goes as a whole.
      .replace(BARE_V6, (m: string, ip: string) => (isIPv6(ip) ? SCRUBBED : m))
      .replace(V4, (m: string, ip: string, port: string | undefined) =>
        isIPv4(ip) ? `${SCRUBBED}${port ?? ''}` : m,
      )
  );
}
