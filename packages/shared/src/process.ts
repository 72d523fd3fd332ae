import { COMMON_ENV, ConfigError, readEnv } from './config';

/**
 * Runs a process's main: a ConfigError (or any start-up failure) becomes one clear
 * line on stderr and exit code 1. SIGINT/SIGTERM run `stop` once — stop
 * accepting, drain in-flight work, close broker and database — then exit 0; a
 * stop that takes longer than `SHUTDOWN_TIMEOUT_MS` (default 20 s, inside
 * Kubernetes' 30 s grace period) exits 1 instead of hanging.
 */
export function runMain(main: () => Promise<{ stop(): Promise<void> }>): void {
  // Log collectors parse every line in production; a person reads them in development.
  const json = process.env.NODE_ENV === 'production';
  const write = (level: 'info' | 'error', msg: string, fields: object = {}, done?: () => void): void =>
    void process.stderr.write(
      json
        ? `${JSON.stringify({ level: LEVELS[level], time: new Date().toISOString(), ...fields, msg })}\n`
        : `${msg}\n`,
      done,
    );
  /** Exits 1 once the line is flushed: stderr to a pipe is written asynchronously. */
  const exitWith = (msg: string) => write('error', msg, {}, () => process.exit(1));
  let timeoutMs: number;
  try {
    timeoutMs = readEnv({ SHUTDOWN_TIMEOUT_MS: COMMON_ENV.SHUTDOWN_TIMEOUT_MS }).SHUTDOWN_TIMEOUT_MS;
  } catch (err) {
    return exitWith(`Asky could not start: ${describe(err)}`);
  }
  // No failure of a dependency may end the process: a promise rejected where nobody listens
  // (a library's timer, a connection dropped mid-call) is logged, and the service goes on.
  process.on('unhandledRejection', (reason) => {
    const err =
      reason instanceof Error
        ? { type: reason.name, message: reason.message, stack: reason.stack }
        : { message: String(reason) };
    process.stderr.write(
      `${JSON.stringify({ level: LEVELS.error, time: new Date().toISOString(), err, msg: 'unhandled rejection (the process goes on)' })}\n`,
    );
  });
  main().then(
    (running) => {
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        const said = new Promise<void>((resolve) =>
          write('info', `${signal} received, stopping…`, { signal }, resolve),
        );
        setTimeout(
          () => exitWith(`did not stop within ${timeoutMs} ms (SHUTDOWN_TIMEOUT_MS): exiting anyway`),
          timeoutMs,
        ).unref();
        Promise.all([running.stop(), said]).then(
          () => process.exit(0),
          (err: unknown) => exitWith(`error while stopping: ${describe(err)}`),
        );
      };
      // Once: a second signal while draining takes the default action (a second Ctrl-C quits at once).
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
    },
    (err: unknown) => exitWith(`Asky could not start: ${describe(err)}`),
  );
}

/** pino's level numbers, so these lines sort with the loggers' own. */
const LEVELS = { info: 30, error: 50 } as const;

function describe(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
