import { isIP } from 'node:net';
import { ipMatches } from '../ip-match.js';
import { Blocklist } from '../tables.js';
import type { CensorModel } from '../types.js';

/** Parameters of `ip-blocklist` (censors.md §6.2). */
export interface IpBlocklistOptions {
  /** Static entries: "ip", "ip:port", "[v6]:port" or an IPv4 CIDR block. */
  readonly list?: readonly string[];
  /** ipport: an entry with a port blocks only that port; ip: any port of a listed address. */
  readonly mode?: 'ipport' | 'ip';
  /** dropSyn (stall), rst, or nullRouteS2C (client→server still flows). */
  readonly action?: 'dropSyn' | 'rst' | 'nullRouteS2C';
}

interface Entry {
  readonly ip: string;
  readonly port: number | undefined;
}

function parseEntry(s: string): Entry {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { ip: v6[1]!, port: v6[2] === undefined ? undefined : Number(v6[2]) };
  if (isIP(s) === 6 || s.includes('/')) return { ip: s, port: undefined };
  const i = s.lastIndexOf(':');
  if (i < 0) return { ip: s, port: undefined };
  const port = Number(s.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`bad port in blocklist entry ${JSON.stringify(s)}`);
  }
  return { ip: s.slice(0, i), port };
}

/**
 * Address blocking: the censor that actually took down default obfs4 bridges (Russia 2021). It
 * looks at nothing but the destination, so no transport survives it. Besides its static list it
 * honours dynamic blocklist entries written by other models (the active prober) with the same
 * action.
 */
export function ipBlocklist(opts: IpBlocklistOptions = {}): CensorModel {
  const name = 'ip-blocklist';
  const mode = opts.mode ?? 'ipport';
  const action = opts.action ?? 'dropSyn';
  const entries = (opts.list ?? []).map(parseEntry);
  return {
    name,
    onFlowStart(flow, ctx) {
      const hit = entries.find(
        (e) =>
          ipMatches(e.ip, flow.serverIp) &&
          (mode === 'ip' || e.port === undefined || e.port === flow.serverPort),
      );
      if (hit) {
        return {
          model: name,
          rule: 'static',
          verdict: 'block',
          action,
          evidence: {
            entry: hit.port === undefined ? hit.ip : Blocklist.endpointKey(hit.ip, hit.port),
            mode,
          },
        };
      }
      const dyn = ctx.blocklist.lookup(flow.serverIp, flow.serverPort);
      if (dyn && dyn.addedBy !== name) {
        return {
          model: name,
          rule: 'dynamic',
          verdict: 'block',
          action,
          evidence: { entry: dyn.key, addedBy: dyn.addedBy, reason: dyn.reason },
        };
      }
      return undefined;
    },
  };
}
