/**
 * `steppe probe HOST:PORT`: runs the active-probe set of censors.md §3.5 against a server (a
 * bridge operator's own bridge) and says whether a censor's prober could tell it apart.
 */
import { writeFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { obfs4, type IatMode } from '../index.js';
import { connectTcp } from '../bench/censor/traffic/session.js';
import { probeSet, PROBE_SET_NAMES, type ProbeSetName } from '../bench/probe/probe-set.js';
import { RecordingDuplex } from '../bench/probe/record.js';
import { runProbes } from '../bench/probe/runner.js';
import { thresholdSearch } from '../bench/probe/search.js';
import { judge } from '../bench/probe/verdict.js';
import type { ProbeResult, ProbeTarget } from '../bench/probe/types.js';

export function parseHostPort(s: string): ProbeTarget {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError('expected HOST:PORT, e.g. 192.0.2.10:443 or [2001:db8::1]:443');
  }
  return { host: m[1]!, port };
}

interface Opts {
  cert?: string;
  iatMode: string;
  set: ProbeSetName;
  budget: number;
  search?: boolean;
  sni?: string;
  json?: string;
  tolerance: number;
}

function fmtMs(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}

function table(results: readonly ProbeResult[]): string {
  const lines = ['probe            sent   back  end    close after'];
  for (const r of results) {
    lines.push(
      `${r.id.padEnd(16)} ${String(r.sent).padStart(5)} ${String(r.bytesReceived).padStart(6)}  ${r.outcome.padEnd(6)} ${fmtMs(r.closeMs).padStart(8)}${r.confirmed ? '  confirmed' : ''}${r.detail && r.group !== 'Rn' ? `  (${r.detail})` : ''}`,
    );
  }
  return lines.join('\n');
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description(
      'probe a server the way censors do and report whether it is distinguishable (check your own bridge)',
    )
    .argument('<host:port>', 'the server to probe', parseHostPort)
    .option(
      '--cert <cert>',
      "the bridge line's cert= (adds the bridge-line-aware probe and the replay probes)",
    )
    .option('--iat-mode <n>', "the bridge line's iat-mode", '0')
    .option('--set <name>', `probe set: ${PROBE_SET_NAMES.join(', ')}`, 'full')
    .option(
      '--budget <seconds>',
      'how long each probe waits for the server to close (obfs4 closes after 30-89 s)',
      (v) => Number(v),
      100,
    )
    .option('--search', 'also run the threshold search (Bs) over 1-65536 bytes')
    .option('--sni <name>', 'server name for the TLS cover check')
    .option(
      '--tolerance <ms>',
      'close times within this spread count as equal',
      (v) => Number(v),
      1000,
    )
    .option('--json <file>', 'write every probe result and the verdict as JSON')
    .action(async (target: ProbeTarget, o: Opts) => {
      if (!PROBE_SET_NAMES.includes(o.set))
        throw new InvalidArgumentError(`unknown probe set ${o.set}`);
      if (!(o.budget > 0)) throw new InvalidArgumentError('--budget must be positive');
      const iatMode = Number(o.iatMode) as IatMode;
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      let recorded: Buffer | undefined;
      let auth: ((t: ProbeTarget, signal: AbortSignal) => Promise<boolean>) | undefined;
      if (o.cert !== undefined) {
        const cert = o.cert;
        auth = async (t, signal) => {
          try {
            const s = await obfs4.dial({ host: t.host, port: t.port, cert, iatMode, signal });
            s.destroy();
            return true;
          } catch {
            return false;
          }
        };
        // One legitimate session first: its first payload feeds the replay probes.
        try {
          const sock = await connectTcp(target, { signal: AbortSignal.timeout(60_000) });
          const rec = new RecordingDuplex(sock);
          const s = await obfs4.dial({ ...target, cert, iatMode, socket: rec });
          recorded = rec.first;
          s.destroy();
          console.error(
            `recorded a legitimate handshake (${recorded?.length ?? 0} bytes) for the replay probes`,
          );
        } catch (e) {
          console.error(
            `could not complete a handshake with the given cert: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }
      const specs = probeSet(o.set, {
        ...(recorded ? { recorded } : {}),
        withBridgeLine: auth !== undefined,
        ...(o.sni ? { host: o.sni } : {}),
      });
      const budgetMs = o.budget * 1000;
      console.error(
        `probing ${target.host}:${target.port} with ${specs.length} probes${o.search ? ' and a threshold search' : ''}, each on a fresh connection; up to ${o.budget} s…`,
      );
      const runOpts = {
        budgetMs,
        signal: ac.signal,
        ...(o.sni ? { sni: o.sni } : {}),
        ...(auth ? { authenticatedProbe: auth } : {}),
      };
      const [results, search] = await Promise.all([
        runProbes(target, specs, runOpts),
        o.search
          ? thresholdSearch(target, { ...runOpts, toleranceMs: o.tolerance })
          : Promise.resolve(undefined),
      ]);
      const all = [...results, ...(search?.results ?? [])];
      const blind = judge(
        all.filter((r) => r.group !== 'O4k'),
        { toleranceMs: o.tolerance },
      );
      const full = judge(all, { toleranceMs: o.tolerance });
      console.log(table(all));
      console.log('');
      console.log('Probe resistance (censors.md §3.5):');
      for (const [k, v] of Object.entries(full.conformance)) {
        console.log(`  ${k} ${v.pass === null ? 'n/a ' : v.pass ? 'pass' : 'FAIL'}  ${v.detail}`);
      }
      if (search)
        console.log(
          `  threshold search: ${search.threshold === null ? 'no size changes the reaction' : `reaction changes at ${search.threshold} bytes`}`,
        );
      console.log('');
      const headline =
        blind.code === 'D'
          ? 'DISTINGUISHABLE by a prober without the bridge line'
          : blind.code === 'S'
            ? 'not confirmable without the bridge line; a weak score-only fingerprint remains'
            : 'not distinguishable by these probes without the bridge line';
      console.log(`Verdict: ${headline}.`);
      for (const r of blind.reasons) console.log(`  - ${r}`);
      if (o.cert !== undefined) {
        console.log(
          full.conformance.P6.pass
            ? 'With the bridge line the handshake succeeds: anyone holding it (a leaked or enumerated line) can confirm the bridge.'
            : 'The handshake with the given bridge line failed: check cert= and iat-mode.',
        );
      }
      if (o.json) {
        await writeFile(
          o.json,
          JSON.stringify(
            {
              target,
              set: o.set,
              budgetMs,
              results: all,
              threshold: search?.threshold ?? null,
              verdict: blind,
              withBridgeLine: full,
            },
            null,
            2,
          ) + '\n',
        );
        console.log(`Wrote ${o.json}`);
      }
      if (blind.code === 'D') process.exitCode = 2;
    });
}
