/**
 * `npm run bench:abuse`: every service in its own process, built to JavaScript
 * and run by plain node as in containers (auth, pyxis, request, gateway on loopback, the machine's Postgres and
 * RabbitMQ). Normal traffic (three people's dashboards, `BENCH_RATE` a second each) runs
 * `BENCH_SECONDS` alone, then as long again while the abusive shapes of issue 14
 * are sent — nested lists, deep and aliased queries straight at pyxis, full-size
 * QR codes, 200 aliased pages, register and login storms, one user's 200
 * subscriptions — each in a loop as fast as it is answered (the abuser, one
 * technician and one anonymous client, does not pace itself). Prints normal traffic's p99 before and
 * during, and each process's peak RSS. Passes when p99 during ≤ 2 × before, no
 * process went over 512 MiB and none exited. Writes bench/results/abuse.json.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger, EnvReader } from '@asky/shared';
import { preparePostgres, serviceRoleUrl } from '@asky/launcher';
import { createTestDatabase, postGraphQL, testAmqpUrl, testTopology } from '@asky/testing';
import {
  answersGraphQL,
  cpuByGroup,
  DatabaseCpu,
  freePort,
  percentile,
  runBench,
  startProcess as startChild,
  stopProcess,
  usage,
  writeResult,
} from './lib';

const env = new EnvReader();
const SECONDS = env.int('BENCH_SECONDS', 15, 5, 300);
const RATE = env.int('BENCH_RATE', 10, 1, 200);
/** `BENCH_PROFILE=DIR`: CPU profiles of every service process there. */
const PROFILE = env.string('BENCH_PROFILE');
const ABUSER_NICE = env.int('BENCH_ABUSER_NICE', 19, 0, 19);
const RSS_BOUND_MIB = 512;
const P99_BOUND = 2;

const DASHBOARD =
  '{ myRequests(first: 20) { id status priority medicine { name } dispenser { code location } } dispensers { code name } }';

interface Services {
  readonly urls: Record<'auth' | 'pyxis' | 'request' | 'gateway', string>;
  readonly processes: Record<string, ChildProcess>;
  stop(): Promise<void>;
  /** The bench's own database (its backends' CPU is the system's). */
  readonly databaseUrl: URL;
}

/** The four services as separate processes over a fresh database and exchange. */
async function startServices(): Promise<Services> {
  const database = await createTestDatabase();
  await (await preparePostgres(database.url, createLogger('bench', 'silent'))).close();
  const topology = testTopology();
  const keys = mkdtempSync(path.join(tmpdir(), 'asky-bench-keys-'));
  const secrets = { pyxis: randomBytes(24).toString('hex'), request: randomBytes(24).toString('hex') };
  const ports = {
    auth: await freePort(),
    pyxis: await freePort(),
    request: await freePort(),
    gateway: await freePort(),
  };
  const urls = Object.fromEntries(
    Object.entries(ports).map(([name, port]) => [name, `http://127.0.0.1:${port}/graphql`]),
  ) as Services['urls'];
  const common = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    AMQP_URL: testAmqpUrl(),
    EVENTS_EXCHANGE: topology.exchange,
    EVENTS_QUEUE_PREFIX: topology.queuePrefix,
  };
  const jwks = { AUTH_URL: urls.auth, AUTH_JWKS_URL: `http://127.0.0.1:${ports.auth}/.well-known/jwks.json` };
  // The built services, as containers run them (tsx's source-mapped stack traces cost CPU of their own).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], {
    cwd: path.join(__dirname, '..'),
    stdio: 'inherit',
  });
  const entry = (name: string) =>
    path.join(
      __dirname,
      '..',
      name === 'gateway' ? 'supergraph/dist/src/index.js' : `subgraphs/${name}/dist/src/index.js`,
    );
  const ready = (port: number) => `http://127.0.0.1:${port}/ready`;
  const startProcess = (file: string, vars: Record<string, string>, isReady: string | (() => Promise<boolean>)) =>
    startChild(file, vars, isReady, PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []);
  const processes: Record<string, ChildProcess> = {};
  const stop = async () => {
    for (const child of Object.values(processes).reverse()) await stopProcess(child);
    await topology.remove(['pyxis.stock']).catch(() => undefined);
    await database.drop();
    rmSync(keys, { recursive: true, force: true });
  };
  try {
    processes.auth = await startProcess(
      entry('auth'),
      {
        ...common,
        AUTH_DATABASE_URL: serviceRoleUrl(database.url, 'auth').href,
        AUTH_PORT: String(ports.auth),
        AUTH_KEYS_DIR: keys,
        AUTH_GENERATE_KEY: 'true',
        AUTH_SERVICE_SECRETS: `pyxis=${secrets.pyxis},request=${secrets.request}`,
      },
      ready(ports.auth),
    );
    processes.pyxis = await startProcess(
      entry('pyxis'),
      {
        ...common,
        ...jwks,
        PYXIS_DATABASE_URL: serviceRoleUrl(database.url, 'pyxis').href,
        PYXIS_PORT: String(ports.pyxis),
        PYXIS_SERVICE_SECRET: secrets.pyxis,
        REQUEST_URL: urls.request,
      },
      ready(ports.pyxis),
    );
    processes.request = await startProcess(
      entry('request'),
      {
        ...common,
        ...jwks,
        PYXIS_URL: urls.pyxis,
        REQUEST_DATABASE_URL: serviceRoleUrl(database.url, 'request').href,
        REQUEST_PORT: String(ports.request),
        REQUEST_SERVICE_SECRET: secrets.request,
      },
      ready(ports.request),
    );
    processes.gateway = await startProcess(
      entry('gateway'),
      { ...common, ...jwks, PYXIS_URL: urls.pyxis, REQUEST_URL: urls.request, GATEWAY_PORT: String(ports.gateway) },
      answersGraphQL(urls.gateway),
    );
    return { urls, processes, databaseUrl: database.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const login = async (url: string, email: string, password: string) => {
  const body = await postGraphQL<{ login: { accessToken: string } }>(
    url,
    'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }',
    { e: email, p: password },
  );
  if (!body.data) throw new Error(`login as ${email}: ${JSON.stringify(body.errors)}`);
  return body.data.login.accessToken;
};

/**
 * Normal traffic: the ward's people (one client each) asking for their dashboard
 * at a steady `BENCH_RATE` per second each (open loop: a slow answer does not slow
 * the rate, as people do not wait for each other); latencies of answered calls.
 */
async function normalTraffic(url: string, tokens: string[], until: number) {
  const latencies: number[] = [];
  let failed = 0;
  const calls: Promise<void>[] = [];
  await Promise.all(
    tokens.map(async (token) => {
      for (let n = 0, start = Date.now(); Date.now() < until; n++) {
        const started = performance.now();
        calls.push(
          postGraphQL(url, DASHBOARD, {}, { authorization: `Bearer ${token}` }).then(
            (body) => (body.errors ? failed++ : latencies.push(performance.now() - started), undefined),
            () => void failed++,
          ),
        );
        await sleep(Math.max(0, start + ((n + 1) * 1000) / RATE - Date.now()));
      }
    }),
  );
  await Promise.all(calls);
  latencies.sort((a, b) => a - b);
  return { calls: latencies.length + failed, failed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Runs `shape` again and again until `until`, at most `concurrency` at once; counts answers by first error code. */
async function repeat(
  until: number,
  concurrency: number,
  shape: () => Promise<{ errors?: { extensions?: { code?: string } }[] }>,
) {
  const codes: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const body = await shape().catch(() => ({ errors: [{ extensions: { code: 'NO_ANSWER' } }] }));
        const code = body.errors?.[0]?.extensions?.code ?? 'OK';
        codes[code] = (codes[code] ?? 0) + 1;
        await sleep(20);
      }
    }),
  );
  return codes;
}

/** One user's 10 connections × 20 subscriptions (past the per-user limit), held until `until`. */
async function subscriptionFlood(url: string, token: string, until: number) {
  const outcome = { subscribed: 0, refused: 0 };
  const clients = Array.from({ length: 10 }, () =>
    createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
    }),
  );
  clients.forEach((client, c) => {
    for (let s = 0; s < 20; s++) {
      client.subscribe(
        { query: `subscription { requestStatusChanged { c${c}s${s}: status request { id medicine { name } } } }` },
        { next: () => undefined, error: () => outcome.refused++, complete: () => undefined },
      );
    }
  });
  await sleep(Math.max(0, until - Date.now()));
  await Promise.all(clients.map((client) => client.dispose()));
  return { ...outcome, subscribed: 200 - outcome.refused };
}

async function main() {
  const services = await startServices();
  const peaks: Record<string, number> = {};
  const sampler = setInterval(() => {
    for (const [name, child] of Object.entries(services.processes)) {
      if (child.exitCode === null && child.pid) peaks[name] = Math.max(peaks[name] ?? 0, usage(child.pid).rssMiB);
    }
  }, 250);
  let abusers: ChildProcess | undefined;
  try {
    const { gateway, pyxis } = services.urls;
    const ward = [
      await login(gateway, 'nurse@asky.local', 'asky-nurse'),
      await login(gateway, 'pharmacist@asky.local', 'asky-pharmacist'),
      await login(gateway, 'admin@asky.local', 'asky-admin'),
    ];
    const technician = await login(gateway, 'technician@asky.local', 'asky-technician');
    await normalTraffic(gateway, ward, Date.now() + 2_000); // warm-up
    // The abusers in a process of their own, as they would be on another machine: their event loop does not delay normal traffic's.
    const abuserProcess = (abusers = fork(__filename, [], {
      execArgv: process.execArgv,
      env: { ...process.env, BENCH_ABUSER: JSON.stringify({ gateway, pyxis, technician } satisfies Abuse) },
    }));
    // Niced (BENCH_ABUSER_NICE, 19 by default): on another machine their CPU would not be taken from the services.
    // It also slows their sending when the cores are busy, so the calls they made are printed beside what they got.
    setPriority(abuserProcess.pid!, ABUSER_NICE);
    await new Promise((resolve) => abuserProcess.once('message', resolve)); // loaded: its start-up is not part of "before"
    const pids = () => ({
      ...Object.fromEntries(Object.entries(services.processes).map(([name, child]) => [name, child.pid])),
      'load generator': process.pid,
      abusers: abuserProcess.pid,
    });
    const databaseCpu = new DatabaseCpu(services.databaseUrl);
    const cpuAt = [await cpuByGroup(pids(), databaseCpu)];
    const before = await normalTraffic(gateway, ward, Date.now() + SECONDS * 1000);
    cpuAt.push(await cpuByGroup(pids(), databaseCpu));

    const until = Date.now() + SECONDS * 1000;
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    abuserProcess.send({ until } satisfies Go);
    const [during, abuse] = await Promise.all([
      normalTraffic(gateway, ward, until),
      new Promise<Record<string, unknown>>((resolve) =>
        abuserProcess.once('message', resolve as (message: unknown) => void),
      ),
    ]);
    cpuAt.push(await cpuByGroup(pids(), databaseCpu));
    loopDelay.disable();
    // Cores busy per process group, before and during (CPU seconds / wall seconds).
    const cores = (from: Record<string, number>, to: Record<string, number>) =>
      Object.fromEntries(
        Object.keys(to).map((group) => [group, Number(((to[group]! - (from[group] ?? 0)) / SECONDS).toFixed(2))]),
      );
    const exited = Object.entries(services.processes)
      .filter(([, child]) => child.exitCode !== null)
      .map(([name]) => name);
    const ratio = during.p99 / before.p99;
    const pass = ratio <= P99_BOUND && Object.values(peaks).every((mib) => mib <= RSS_BOUND_MIB) && exited.length === 0;
    const result = {
      seconds: SECONDS,
      normalClients: 3,
      normalRatePerClient: RATE,
      normal: { before, during, p99Ratio: Number(ratio.toFixed(2)), bound: P99_BOUND },
      abuserNice: ABUSER_NICE,
      abuse,
      loadGeneratorLoopDelayP99Ms: Number((loopDelay.percentile(99) / 1e6).toFixed(1)),
      coresBusy: { before: cores(cpuAt[0]!, cpuAt[1]!), during: cores(cpuAt[1]!, cpuAt[2]!) },
      peakRssMiB: Object.fromEntries(Object.entries(peaks).map(([name, mib]) => [name, Math.round(mib)])),
      rssBoundMiB: RSS_BOUND_MIB,
      exited,
      pass,
    };
    console.log(
      `normal traffic p99: ${before.p99.toFixed(1)} ms before, ${during.p99.toFixed(1)} ms during abuse (× ${ratio.toFixed(2)}, bound × ${P99_BOUND}); ${before.calls} / ${during.calls} calls, ${before.failed} / ${during.failed} failed`,
    );
    console.log(`abusers at nice ${ABUSER_NICE}:`);
    for (const [name, outcome] of Object.entries(result.abuse)) console.log(`  ${name}: ${JSON.stringify(outcome)}`);
    console.log(`load generator's event-loop delay p99 during: ${result.loadGeneratorLoopDelayP99Ms} ms`);
    console.log(
      `cores busy before: ${JSON.stringify(result.coresBusy.before)}\ncores busy during: ${JSON.stringify(result.coresBusy.during)}`,
    );
    console.log(
      `peak RSS (MiB): ${JSON.stringify(result.peakRssMiB)} (bound ${RSS_BOUND_MIB}); exited: ${exited.length ? exited.join(', ') : 'none'}`,
    );
    console.log(`${pass ? 'PASS' : 'FAIL'} — ${writeResult('abuse', result)}`);
    if (!pass) process.exitCode = 1;
  } finally {
    abusers?.kill();
    clearInterval(sampler);
    await services.stop();
  }
}

/** The abusers' process: waits for `Go`, sends every chosen shape until then, answers with what each got. */
async function abuse(target: Abuse) {
  const go = new Promise<Go>((resolve) => process.once('message', resolve));
  process.send!('loaded');
  const { until } = await go;
  const { gateway, pyxis, technician } = target;
  const asTech = { authorization: `Bearer ${technician}` };
  let deep = '{ id }';
  for (let i = 0; i < 6; i++) deep = `{ stock { dispenser ${deep} } }`;
  const qrAliases = Array.from({ length: 40 }, (_, i) => `q${i}: qrCode(size: 1024)`).join(' ');
  const pages = Array.from({ length: 200 }, (_, i) => `m${i}: medicines(first: 500) { id name }`).join(' ');
  let registrations = 0;
  const shapes: [string, () => Promise<unknown>][] = [
    [
      'nested lists (gateway)',
      () =>
        repeat(until, 1, () =>
          postGraphQL(
            gateway,
            '{ dispensers { stock { dispenser { stock { dispenser { stock { id } } } } } } }',
            {},
            asTech,
          ),
        ),
    ],
    [
      'depth 13 (pyxis straight)',
      () => repeat(until, 1, () => postGraphQL(pyxis, `{ dispensers ${deep} }`, {}, asTech)),
    ],
    [
      '40 × qrCode 1024 (pyxis straight)',
      () => repeat(until, 1, () => postGraphQL(pyxis, `{ dispensers { ${qrAliases} } }`, {}, asTech)),
    ],
    [
      'qrCode ~1000 px per dispenser (gateway)',
      () =>
        repeat(until, 1, () =>
          postGraphQL(gateway, `{ dispensers { qrCode(size: ${900 + Math.floor(Math.random() * 124)}) } }`, {}, asTech),
        ),
    ],
    [
      '200 × medicines(first: 500) (pyxis straight)',
      () => repeat(until, 1, () => postGraphQL(pyxis, `{ ${pages} }`, {}, asTech)),
    ],
    [
      'register storm',
      () =>
        repeat(until, 4, () =>
          postGraphQL(
            gateway,
            'mutation ($e: String!) { register(name: "Storm", email: $e, password: "a sufficiently long passphrase") { accessToken } }',
            { e: `storm${registrations++}@asky.local` },
          ),
        ),
    ],
    [
      'login storm (8 at once)',
      () =>
        repeat(until, 8, () =>
          postGraphQL(
            gateway,
            'mutation { login(email: "pharmacist@asky.local", password: "asky-pharmacist") { accessToken } }',
          ),
        ),
    ],
    ['10 × 20 subscriptions of one user', () => subscriptionFlood(gateway, technician, until)],
  ];
  // BENCH_ONLY=2,6 runs only those shapes (by position), to see what costs what.
  const only = env.string('BENCH_ONLY')?.split(',').map(Number);
  const chosen = shapes.filter((_, i) => !only || only.includes(i));
  const outcomes = await Promise.all(chosen.map(([, run]) => run()));
  process.send!(Object.fromEntries(chosen.map(([name], i) => [name, outcomes[i]])), () => process.exit(0));
}

interface Abuse {
  readonly gateway: string;
  readonly pyxis: string;
  readonly technician: string;
}

interface Go {
  readonly until: number;
}

if (process.env.BENCH_ABUSER) void abuse(JSON.parse(process.env.BENCH_ABUSER) as Abuse);
else runBench(main);
