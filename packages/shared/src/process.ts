import { ConfigError, EnvReader } from './config';

/**
 * Runs a process's main: a ConfigError (or any start-up failure) becomes one clear
 * line on stderr and exit code 1. SIGINT/SIGTERM run `stop` once — stop
 * accepting, drain in-flight work, close broker and database — then exit 0; a
 * stop that takes longer than `SHUTDOWN_TIMEOUT_MS` (default 20 s, inside
 * Kubernetes' 30 s grace period) exits 1 instead of hanging.
 */
export function runMain(main: () => Promise<{ stop(): Promise<void> }>): void {
  let timeoutMs: number;
  try {
    timeoutMs = new EnvReader().int('SHUTDOWN_TIMEOUT_MS', 20_000, 100, 600_000);
  } catch (err) {
    return exitWith(`Asky could not start: ${describe(err)}`);
  }
  // No failure of a dependency may end the process: a promise rejected where nobody listens
  // (a library's timer, a connection dropped mid-call) is logged, and the service goes on.
  process.on('unhandledRejection', (reason) => {
    const err = reason instanceof Error ? { type: reason.name, message: reason.message, stack: reason.stack } : { message: String(reason) };
    process.stderr.write(`${JSON.stringify({ level: 50, time: Date.now(), err, msg: 'unhandled rejection (the process goes on)' })}\n`);
  });
  main().then(
    (running) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`\n${signal} received, stopping…\n`);
        setTimeout(() => exitWith(`did not stop within ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS): exiting anyway`), timeoutMs).unref();
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
