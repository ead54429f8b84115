/**
 * `steppe client`: the standalone tunnel client (no tor). A local port whose connections all
 * go through the server to its forward target (--listen), a SOCKS5 front whose targets go
 * through a server run with --forward socks (--socks), or a tor-style SOCKS listener
 * (--pt-socks). The server comes from --server/--cert or from a share string (--connect).
 */
import { Command } from 'commander';
import { isLoopback, formatHostPort, type HostPort } from '../net/address.js';
import { parseProxyUri, formatProxy, type ProxyConfig } from '../net/proxy.js';
import { CLIENT_FIELDS } from './config.js';
import { parseShare } from './share.js';
import {
  collect,
  configureCommand,
  loadConfigOption,
  makeLogger,
  onShutdown,
  parseListen,
  parseMetricsAddress,
  parseTarget,
  pickTransport,
  runAction,
  startOptionalMetrics,
  Settings,
  stateDir,
  transportNames,
  TRANSPORTS_HELP,
  UsageError,
  type Setting,
} from './standalone.js';
import { onReload, RELOAD_HELP } from './reload.js';
import { SwappableLogger } from '../log/swappable.js';
import { startStatusLine, type StatusLine } from './status.js';
import {
  checkServer,
  startTunnelClient,
  type ClientMode,
  type ServerEndpoint,
} from '../tunnel/client.js';
import { TunnelStats } from '../tunnel/stats.js';

export const CLIENT_DESCRIPTION =
  'run a tunnel client without tor: a local port or SOCKS5 front that reaches a steppe server';

export function registerClient(program: Command): void {
  const cmd = program.command('client').description(CLIENT_DESCRIPTION);
  configureCommand(cmd, 'client')
    .option(
      '-C, --connect <share>',
      'a share string from the server (steppe://...): transport, server and args in one',
    )
    .option('-t, --transport <name>', `transport (default: obfs4; steppe has: ${transportNames()})`)
    .option('--server <host:port>', "the server's address (a host name, IPv4 or [IPv6])")
    .option('--cert <cert>', "obfs4: the cert= from the server's bridge line")
    .option('--iat-mode <n>', "obfs4: the iat-mode= from the server's bridge line (default: 0)")
    .option('--password <base32>', "scramblesuit: the password= from the server's bridge line")
    .option(
      '--shared-secret <secret>',
      "obfs2: the server's shared-secret (Python obfsproxy's extension)",
    )
    .option('-a, --arg <key=value>', 'another transport argument, repeatable', collect)
    .option(
      '-l, --listen <addr>',
      "local host:port (or a port on 127.0.0.1) whose connections go to the server's target",
    )
    .option(
      '--socks <addr>',
      'local SOCKS5 front; each request goes through a server run with --forward socks',
    )
    .option(
      '--pt-socks <addr>',
      'local SOCKS5 as tor uses it: the target is the server, the username carries the args',
    )
    .option(
      '--proxy <uri>',
      'reach the server through a proxy: socks5://[user:pass@]host:port, socks4a://, http://',
    )
    .option('--no-check', 'skip the startup handshake that checks the server and the cert')
    .option('--check-timeout <seconds>', 'how long the startup handshake may take (default: 20)')
    .option(
      '-s, --state <dir>',
      'state directory (scramblesuit keeps its session tickets there; obfs4 nothing)',
    )
    .option('--metrics <addr>', 'serve Prometheus metrics on http://ADDR/metrics')
    .option('--metrics-public', '--metrics may listen on an address that is not loopback')
    .option('--no-status', 'no live status line (it is shown only when stdout is a terminal)')
    .option('--log-level <level>', 'error, warn, info, debug or off (default: error)')
    .option('--log-file <path>', 'log to this file instead of stderr')
    .option('--unsafe-logging', 'keep IP addresses in the log')
    .option('-c, --config <file>', 'read settings from a JSON or TOML file; flags override it')
    .addHelpText(
      'after',
      `
Examples:
  steppe client --connect 'steppe://obfs4@203.0.113.5:443?cert=...&iat-mode=0' --listen 1194
  steppe client --server 203.0.113.5:443 --cert ... --socks 127.0.0.1:1080
  steppe client --connect '...' --listen 2222 --proxy http://10.0.0.1:3128

Give exactly one of --listen, --socks, --pt-socks. At startup the client completes one
handshake with the server, so a wrong address or cert fails at once, not on first use.
Exit status: 0 stopped by a signal, 1 failure, 2 usage error.

${RELOAD_HELP}
${TRANSPORTS_HELP}`,
    )
    .action(async (_opts: unknown, c: Command) => runAction('client', () => runClient(c)));
}

async function runClient(cmd: Command): Promise<void> {
  const config = await loadConfigOption(cmd, CLIENT_FIELDS);
  const s = new Settings(cmd, config);

  // The local side: exactly one mode.
  const modes: Array<[ClientMode, Setting<string> | undefined]> = [
    ['fixed', s.string('listen')],
    ['socks', s.string('socks')],
    ['pt-socks', s.string('pt-socks')],
  ];
  const given = modes.filter(([, v]) => v !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? "give --listen ADDR (all connections to the server's target), --socks ADDR or --pt-socks ADDR"
        : `${given.map(([, v]) => v?.origin).join(' and ')} exclude each other; give one`,
    );
  }
  const [mode, listenS] = given[0] as [ClientMode, Setting<string>];
  const listen = parseListen(listenS, '127.0.0.1');

  // The server side: a share string, flags, or both (flags override the share string).
  const connectS = s.string('connect');
  const share = connectS === undefined ? undefined : parseShareSetting(connectS);
  const transportS = s.string('transport');
  if (share !== undefined && transportS !== undefined && transportS.value !== share.transport) {
    throw new UsageError(
      `${transportS.origin} names ${transportS.value} but the share string is for ${share.transport}`,
    );
  }
  const transport = pickTransport(
    transportS ??
      (share === undefined ? undefined : { value: share.transport, origin: '--connect' }),
  );
  const serverS = s.string('server');
  const certS = s.string('cert');
  const iatS = s.string('iat-mode');
  const extra = s.pairs('arg', 'args');

  const args = new Map<string, string[]>();
  for (const [k, v] of share?.args ?? []) args.set(k, [v]);
  for (const [k, v] of extra.args) args.set(k, [v]);
  const passwordS = s.string('password');
  if (passwordS !== undefined) args.set('password', [passwordS.value.trim()]);
  const secretS = s.string('shared-secret');
  if (secretS !== undefined) args.set('shared-secret', [secretS.value]);
  if (certS !== undefined) args.set('cert', [certS.value.trim()]);
  if (iatS !== undefined) args.set('iat-mode', [iatS.value.trim()]);
  else if (certS !== undefined && !args.has('iat-mode')) args.set('iat-mode', ['0']);

  let server: HostPort | undefined = share?.server;
  if (serverS !== undefined) server = parseTarget(serverS);

  const proxyS = s.string('proxy');
  let proxy: ProxyConfig | null = null;
  if (proxyS !== undefined) {
    try {
      proxy = parseProxyUri(proxyS.value.trim(), { requireIpLiteral: false });
    } catch (e) {
      throw new UsageError(`${proxyS.origin}: ${(e as Error).message}`);
    }
  }

  const stateS = s.string('state');
  const factory = transport.createClient(
    stateS === undefined ? {} : { stateDir: stateDir(stateS) },
  );
  let endpoint: ServerEndpoint | null = null;
  if (mode === 'pt-socks') {
    const extraneous = [connectS, serverS, certS].find((v) => v !== undefined);
    if (extraneous !== undefined) {
      throw new UsageError(
        `--pt-socks takes the server and its args from each SOCKS request; drop ${extraneous.origin}`,
      );
    }
  } else {
    if (server === undefined) {
      throw new UsageError(
        'no server: give --connect SHARE-STRING, or --server HOST:PORT with --cert CERT',
      );
    }
    // Bad args (a truncated cert, iat-mode 3) fail now, before anything goes on the wire.
    factory.parseArgs(args);
    endpoint = { factory, server, args, proxy };
  }
  const metricsS = s.string('metrics');
  const metricsAddr = parseMetricsAddress(s);
  const check = s.bool('check', true);
  const checkTimeoutMs = s.number('check-timeout', 20, 0.1, 600) * 1000;
  const logger = new SwappableLogger(makeLogger(s));
  onReload({ command: 'client', cmd, fields: CLIENT_FIELDS, running: s, logger });

  const stats = new TunnelStats('client');
  stats.start();
  const client = await startTunnelClient({
    factory,
    mode,
    endpoint,
    proxy,
    listen,
    logger,
    stats,
    setting: listenS.origin,
  });
  try {
    if (check && endpoint !== null) await checkServer(endpoint, checkTimeoutMs);
  } catch (e) {
    await client.close();
    throw e;
  }
  const metrics = await startOptionalMetrics(metricsAddr, metricsS, stats, transport.name, () =>
    client.close(),
  );

  const local = formatHostPort(client.address);
  const via = proxy === null ? '' : ` via ${formatProxy(proxy)}`;
  const out = process.stdout;
  const remote = server === undefined ? '' : ` ${formatHostPort(server)}`;
  switch (mode) {
    case 'fixed':
      out.write(
        `ready: ${local} forwards to the ${transport.name} server${remote}${via} (to its forward target)\n`,
      );
      break;
    case 'socks':
      out.write(`ready: SOCKS5 on ${local} through the ${transport.name} server${remote}${via}\n`);
      break;
    case 'pt-socks':
      out.write(
        `ready: tor-style SOCKS5 on ${local} for ${transport.name} servers named in each request${via}\n`,
      );
      break;
  }
  if (metrics !== undefined)
    out.write(`metrics: http://${formatHostPort(metrics.address)}/metrics\n`);
  if (mode !== 'fixed' && !isLoopback(client.address.host)) {
    process.stderr.write(
      `steppe client: warning: the SOCKS port ${local} is reachable from other hosts; anyone who can reach it can use your tunnel\n`,
    );
  }
  logger.info(`${transport.name} client listening on ${local}`);

  let status: StatusLine | undefined;
  if (out.isTTY && s.bool('status', true)) {
    status = startStatusLine(stats, `steppe client ${transport.name}`, out);
  }
  onShutdown(async () => {
    status?.stop();
    await metrics?.close();
    await client.close();
    stats.stop();
    logger.info('stopped');
    logger.flush();
  });
}

function parseShareSetting(s: Setting<string>): ReturnType<typeof parseShare> {
  try {
    return parseShare(s.value);
  } catch (e) {
    throw s.origin === '--connect' ? e : new UsageError(`${s.origin}: ${(e as Error).message}`);
  }
}
