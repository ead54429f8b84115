/**
 * Addresses on this computer or its own networks: loopback, unspecified, RFC 1918 and
 * shared-address-space (CGNAT) IPv4, link-local, IPv6 unique-local, and IPv4-mapped IPv6 forms of
 * any of them. A bridge line from a stranger must not be able to make a client connect there
 * (probe the user's LAN, a router's admin page, a local service).
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { bytesToIpv4, ipv6ToBytes } from './ip-bytes.js';

const PRIVATE = new BlockList();
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", 0.0.0.0 included
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // RFC 6598 shared address space (carrier LAN)
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addAddress('255.255.255.255', 'ipv4');
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

/** True for an IP literal in one of the ranges above; false for public addresses and non-IPs. */
export function isPrivateAddress(ip: string): boolean {
  if (isIPv4(ip)) return PRIVATE.check(ip, 'ipv4');
  const bare = ip.split('%')[0] ?? '';
  if (!isIPv6(bare)) return false;
  const b = ipv6ToBytes(bare);
  // ::ffff:a.b.c.d is the IPv4 address a.b.c.d to the socket layer.
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return PRIVATE.check(bytesToIpv4(b.subarray(12)), 'ipv4');
  }
  return PRIVATE.check(bare, 'ipv6');
}
