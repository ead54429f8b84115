/**
 * `steppe demo` (npm run demo): an obfs4 bridge and client on loopback, what a censor sees of
 * each, and Kazakhstan 2012. The bench code is loaded only when the command runs, so the managed
 * transport tor starts never loads it.
 */
import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'an obfs4 bridge and client on loopback, what a censor sees, and Kazakhstan 2012 (under a minute)',
    )
    .option('--no-color', 'no ANSI colours')
    .action(async (o: { color: boolean }) => {
      const { runDemo } = await import('../bench/censor/demo.js');
      await runDemo((l) => console.log(l), o.color && process.stdout.isTTY === true);
    });
}
