/**
 * The launcher run as `npm start` runs it, in a child process: tests of what a
 * newcomer or an operator meets (configuration errors, the embedded default, signals).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '@asky/launcher';

export interface Exit {
  readonly code: number | null;
  readonly stderr: string;
}

export interface Launch {
  /** The gateway URL, once the launcher prints that it is up. */
  readonly up: Promise<string>;
  readonly exit: Promise<Exit>;
  interrupt(): void;
  terminate(): void;
}

/**
 * Runs the launcher as `npm start` does (`main`) or as the image does (`replica`),
 * with `env` added; killed after `killAfterMs`.
 */
export function launch(env: Record<string, string>, killAfterMs = 40_000, entry: 'main' | 'replica' = 'main'): Launch {
  const child = spawn(
    process.execPath,
    ['--conditions=typescript', '--import', 'tsx', `packages/launcher/src/${entry}.ts`],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const exit = new Promise<Exit>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    }),
  );
  const up = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const url = /Asky is up in [\d.]+s: (\S+)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    void exit.then(() => reject(new Error(`launcher exited before it was up: ${stderr}`)));
  });
  up.catch(() => undefined);
  return { up, exit, interrupt: () => child.kill('SIGINT'), terminate: () => child.kill('SIGTERM') };
}

/**
 * `npm start`'s environment for the embedded default in `dataDir`: no
 * DATABASE_URL (PGlite) nor AMQP_URL (the in-process bus), free ports, and
 * NODE_ENV as `npm start` has it (jest sets `test`, under which Apollo Server
 * installs no signal handlers of its own: with them, Ctrl-C hung, or was cut
 * short with 130).
 */
export function embeddedEnv(dataDir: string): Record<string, string> {
  const { DATABASE_URL: _postgres, AMQP_URL: _broker, ...inherited } = process.env;
  return {
    ...(inherited as Record<string, string>),
    NODE_ENV: 'development',
    ASKY_DATA_DIR: dataDir,
    AUTH_KEYS_DIR: path.join(dataDir, 'keys'),
    GATEWAY_PORT: '0',
    AUTH_PORT: '0',
    PYXIS_PORT: '0',
    REQUEST_PORT: '0',
  };
}
