import { ConfigError } from './config';

/**
 * Runs a process's main: a ConfigError (or any start-up failure) becomes one clear
 * line on stderr and exit code 1; SIGINT/SIGTERM run `stop` once, then exit.
 */
export function runMain(main: () => Promise<{ stop(): Promise<void> }>): void {
  main().then(
    (running) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n${signal} received, stopping…\n`);
        running.stop().then(
          () => process.exit(0),
          (err: unknown) => exitWith(`error while stopping: ${describe(err)}`),
        );
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    },
    (err: unknown) => exitWith(`Asky could not start: ${describe(err)}`),
  );
}

/** Exits 1 once `line` is flushed: stderr to a pipe is written asynchronously. */
function exitWith(line: string): void {
  process.stderr.write(`${line}\n`, () => process.exit(1));
}

function describe(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
