/**
 * SIGHUP for `steppe server` and `steppe client`: read the config file again and reopen the log
 * (what logrotate and `systemctl reload` expect), keeping every open connection and the
 * listeners. Only the logging settings (log-level, log-file, unsafe-logging) apply at once; the
 * others are bound into running listeners and transports, so a changed one is reported in the
 * log as waiting for a restart rather than half-applied. A config that cannot be read or is
 * invalid is one log line, and the process goes on with the settings it has.
 */
import type { Command } from 'commander';
import type { FieldSpec } from './config.js';
import { loadConfigOption, makeLogger, oneLine, Settings } from './standalone.js';
import type { SwappableLogger } from '../log/swappable.js';

/** The settings a reload applies to the running process. */
export const RELOADABLE_FIELDS: readonly string[] = ['log-level', 'log-file', 'unsafe-logging'];

/** For --help: what SIGHUP does. */
export const RELOAD_HELP = `SIGHUP reopens the log file (for logrotate) and re-reads --config: log-level, log-file and
unsafe-logging apply at once; other changed settings are logged and wait for a restart. Open
connections are kept. An invalid config on reload is logged and the running settings stay.`;

export interface ReloadContext {
  readonly command: 'server' | 'client';
  readonly cmd: Command;
  readonly fields: readonly FieldSpec[];
  /** The settings the process started with (and still runs with, apart from logging). */
  readonly running: Settings;
  readonly logger: SwappableLogger;
  /** Called with the new settings once they are in use (workers reopen their logs). */
  readonly onReloaded?: (next: Settings) => void;
}

/** The long flag of a config field: `options` is `--option`, `args` is `--arg`. */
function flagOf(field: string): string {
  if (field === 'options') return 'option';
  if (field === 'args') return 'arg';
  return field;
}

function comparable(s: Settings, field: string): string {
  const v = s.get(flagOf(field), field)?.value;
  if (v instanceof Map) return JSON.stringify([...(v as Map<string, string>)].sort());
  return JSON.stringify(v ?? null);
}

/**
 * One reload: re-reads the config, opens the new log, then swaps it in. Nothing changes before
 * everything has been read and opened, so a failure leaves the running settings as they were.
 * @throws ConfigError or UsageError (one line) when the new settings cannot be used.
 */
export async function reload(ctx: ReloadContext): Promise<void> {
  const config = await loadConfigOption(ctx.cmd, ctx.fields);
  const next = new Settings(ctx.cmd, config);
  const log = makeLogger(next);
  const waiting = ctx.fields
    .map((f) => f.name)
    .filter((name) => !RELOADABLE_FIELDS.includes(name))
    .filter((name) => comparable(ctx.running, name) !== comparable(next, name));
  ctx.logger.replace(log);
  ctx.onReloaded?.(next);
  const source = config === null ? 'flags (no --config)' : config.file;
  ctx.logger.notice(`SIGHUP: reloaded settings from ${source}; log reopened`);
  if (waiting.length > 0) {
    ctx.logger.warn(
      `SIGHUP: ${waiting.join(', ')} changed in the config; steppe ${ctx.command} goes on with the old value until it restarts`,
    );
  }
}

/**
 * Installs the SIGHUP handler. Reloads run one at a time; a SIGHUP that arrives during one
 * triggers one more afterwards (the file may have changed again).
 */
export function onReload(ctx: ReloadContext): void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    running = true;
    do {
      again = false;
      try {
        await reload(ctx);
      } catch (e) {
        const line = `SIGHUP: reload failed, still running with the previous settings: ${oneLine((e as Error).message)}`;
        if (ctx.logger.enabled) {
          ctx.logger.error(line);
          ctx.logger.flush();
        } else {
          process.stderr.write(`steppe ${ctx.command}: ${line}\n`);
        }
      }
    } while (again);
    running = false;
  };
  process.on('SIGHUP', () => {
    if (running) {
      again = true;
      return;
    }
    void run();
  });
}
