/** What the benchmarks share: free ports, server processes, /proc usage, percentiles, result files. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { serviceRoleUrl } from '@asky/launcher';
import { adminQuery, testAmqpUrl, type TestSystem } from '@asky/testing';

export const RESULTS_DIR = path.join(__dirname, 'results');

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Whether a GraphQL endpoint answers `{ __typename }`. */
export const answersGraphQL = (url: string) => () =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"query":"{ __typename }"}',
  }).then(
    (r) => r.ok,
    () => false,
  );

/**
 * Forks a server entry — TypeScript through tsx, or built JavaScript with plain
 * node, as containers run it — and resolves once `ready` (a URL answering 200,
 * or a check) says so.
 */
export function startProcess(
  entry: string,
  env: Record<string, string>,
  ready: string | (() => Promise<boolean>),
  execArgv: string[] = [],
): Promise<ChildProcess> {
  const loader = entry.endsWith('.ts') ? ['--conditions=typescript', '--import', 'tsx'] : [];
  return untilReady(
    fork(entry, [], { execArgv: [...loader, ...execArgv], env: { ...process.env, ...env } }),
    path.basename(entry),
    ready,
  );
}

/** A native program (a peer shipped as a binary), its CPU its own. */
export function startBinary(
  file: string,
  args: string[],
  env: Record<string, string>,
  ready: string | (() => Promise<boolean>),
): Promise<ChildProcess> {
  return untilReady(
    spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] }),
    path.basename(file),
    ready,
  );
}

/** Every process a bench started: none outlives it, whatever ends it (a peer that failed to start included). */
const started = new Set<ChildProcess>();
process.on('exit', () => started.forEach((child) => child.exitCode === null && child.kill('SIGKILL')));

async function untilReady(
  child: ChildProcess,
  name: string,
  ready: string | (() => Promise<boolean>),
): Promise<ChildProcess> {
  started.add(child);
  const isReady =
    typeof ready === 'string'
      ? () =>
          fetch(ready).then(
            (r) => r.ok,
            () => false,
          )
      : ready;
  for (let i = 0; i < 150; i++) {
    if (await isReady()) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`${name} did not get ready`);
}

/** Asky's gateway as its own process (`supergraph/src/index.ts`), on this system's subgraphs and exchange. */
export function startAskyGateway(
  system: TestSystem,
  port: number,
  env: Record<string, string> = {},
  execArgv: string[] = [],
): Promise<ChildProcess> {
  return startProcess(
    path.join(__dirname, '../supergraph/src/index.ts'),
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: String(port),
      AUTH_URL: system.subgraphUrls.auth,
      PYXIS_URL: system.subgraphUrls.pyxis,
      REQUEST_URL: system.subgraphUrls.request,
      AUTH_JWKS_URL: new URL('/.well-known/jwks.json', system.subgraphUrls.auth).href,
      AMQP_URL: testAmqpUrl(),
      EVENTS_EXCHANGE: system.topology.exchange,
      // Throughput benchmarks send from one caller on purpose.
      GATEWAY_REQUESTS_PER_CALLER: '1000000',
      ...env,
    },
    `http://127.0.0.1:${port}/ready`,
    execArgv,
  );
}

/**
 * A replica (`packages/launcher/src/replica.ts` of the checkout at `root`: the
 * gateway executing the subgraphs in its own process) over this system's
 * database, each subgraph as its own role, verifying this system's tokens (its
 * signing keys) and publishing on its exchange.
 */
export function startAskyReplica(
  system: TestSystem,
  port: number,
  root = path.join(__dirname, '..'),
  execArgv: string[] = [],
): Promise<ChildProcess> {
  const role = (name: 'auth' | 'pyxis' | 'request') => serviceRoleUrl(system.database.url, name).href;
  return startProcess(
    path.join(root, 'packages/launcher/src/replica.ts'),
    {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      GATEWAY_PORT: String(port),
      AUTH_PORT: '0',
      PYXIS_PORT: '0',
      REQUEST_PORT: '0',
      AUTH_DATABASE_URL: role('auth'),
      PYXIS_DATABASE_URL: role('pyxis'),
      REQUEST_DATABASE_URL: role('request'),
      AUTH_KEYS_DIR: system.keysDir,
      AUTH_GENERATE_KEY: 'false',
      USER_STATUS_TTL_MS: '60000',
      AMQP_URL: testAmqpUrl(),
      EVENTS_EXCHANGE: system.topology.exchange,
      EVENTS_QUEUE_PREFIX: `bench.replica.${port}.`,
      GATEWAY_REQUESTS_PER_CALLER: '1000000',
    },
    `http://127.0.0.1:${port}/ready`,
    execArgv,
  );
}

export const stopProcess = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve()).kill('SIGTERM');
  });

/** CPU seconds and resident memory of a process, from /proc. */
export function usage(pid: number): { cpuSeconds: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime, fields 14 and 15
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSeconds: ticks / 100, rssMiB: Number(rss) / 1024 };
}

/** A process's CPU ticks and start time (which tells a recycled pid apart), or undefined once it is gone. */
function ticksOf(pid: string | number): { comm: string; ticks: number; startedAt: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    return {
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      ticks: Number(fields[11]) + Number(fields[12]),
      startedAt: fields[19]!,
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

/**
 * The CPU of one database's Postgres backends (`pg_stat_activity.datname`),
 * never another's: on a shared machine, summing every `postgres` process counted
 * other users' work, and went negative when their backends exited. A backend
 * that exits keeps the CPU it was last seen with, so the total only grows.
 */
export class DatabaseCpu {
  private readonly seen = new Map<string, number>();

  constructor(private readonly databaseUrl: URL) {}

  async seconds(): Promise<number> {
    const database = decodeURIComponent(this.databaseUrl.pathname.slice(1));
    const { rows } = await adminQuery(
      `SELECT pid FROM pg_stat_activity WHERE datname = '${database.replace(/'/g, "''")}'`,
      this.databaseUrl,
    );
    for (const { pid } of rows as { pid: number }[]) {
      const found = ticksOf(pid);
      if (found) this.seen.set(`${pid}@${found.startedAt}`, found.ticks);
    }
    return [...this.seen.values()].reduce((sum, ticks) => sum + ticks, 0) / 100;
  }
}

/**
 * CPU seconds used so far, by group: the given processes by name, the bench
 * database's Postgres backends, RabbitMQ by its process name, and the whole
 * machine (from /proc/stat). Two readings apart tell where a run's CPU went —
 * on a machine the load generator and every server share, what one operation
 * costs in all.
 */
export async function cpuByGroup(
  named: Record<string, number | undefined>,
  database: DatabaseCpu,
): Promise<Record<string, number>> {
  const groups: Record<string, number> = {};
  for (const [name, pid] of Object.entries(named)) groups[name] = pid ? (ticksOf(pid)?.ticks ?? 0) / 100 : 0;
  groups.Postgres = await database.seconds();
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    const found = ticksOf(pid);
    if (found?.comm === 'beam.smp') groups.RabbitMQ = (groups.RabbitMQ ?? 0) + found.ticks / 100;
  }
  const [, ...times] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal…: busy is user, nice, system, irq and softirq.
  groups.machine = [0, 1, 2, 5, 6].reduce((sum, i) => sum + (times[i] ?? 0), 0) / 100;
  return groups;
}

/** Writes `bench/results/<name>.json`. */
export function writeResult(name: string, result: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...result }, null, 2)}\n`);
  return file;
}

/** A horizontal bar chart as SVG text: one bar per label. */
export function barChart(title: string, unit: string, bars: { label: string; value: number }[]): string {
  const width = 640;
  const row = 28;
  const left = 230;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = bars
    .map((b, i) => {
      const y = 40 + i * row;
      const w = Math.max(1, ((width - left - 80) * b.value) / max);
      return `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${escape(b.label)}</text><rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" fill="#2f6fb3"/><text x="${left + w + 6}" y="${y + 17}">${Math.round(b.value)} ${unit}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${50 + bars.length * row}" font-family="sans-serif" font-size="13"><text x="10" y="22" font-weight="bold">${escape(title)}</text>${rows}</svg>\n`;
}

/** Runs a benchmark's main: exits with its `process.exitCode` (0 by default) when done, 1 with the error printed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
