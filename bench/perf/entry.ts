/**
 * How a bench's main() runs: every PT child it started is killed when it exits, also on SIGINT or
 * SIGTERM and on a crash of the harness itself, and main's result becomes the exit status.
 */
import { killAllPts } from './pt-pair.js';

export function runBench(name: string, main: () => Promise<number>): void {
  process.once('exit', killAllPts);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAllPts();
      process.exit(130);
    });
  }
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(
        `${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      killAllPts();
      process.exitCode = 1;
    },
  );
}
