/**
 * `npm run bench:gateways`: the same queries, side by side in one run, straight
 * to the subgraph and through Asky — as one process (a replica: the gateway
 * executing the subgraphs in its process, the default deployment) and split
 * (its gateway in its own process calling the subgraphs over HTTP) — a plain
 * @apollo/gateway, Hive Gateway (with and without its Rust planner) and
 * Grafbase, each gateway in its own process on the same supergraph; the
 * subgraphs the split targets call run here, the load generator (autocannon)
 * in another process. Prints req/s, p50/p99, the gateway process's CPU and the
 * machine-wide CPU per request (the target's process, this process's subgraphs
 * and the database's backends), and the ratios; then the dashboard query at page
 * sizes 10/50/200; writes bench/results/gateways.json and gateways.svg.
 * `BENCH_COMPARE=<checkout>` adds a replica run from another checkout (with its
 * own `npm ci`), to weigh a change side by side. Loopback only, bounded
 * (`BENCH_SECONDS` per pass, default 3, two passes per target; `BENCH_CONNECTIONS`, default 20).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import type autocannon from 'autocannon';
import type { LoadOrder } from './loadClient';
import { EnvReader } from '@asky/shared';
import { readSupergraphSdl } from '../supergraph/src/supergraphFile';
import { MOCK_USERS, startTestSystem, type TestSystem } from '@asky/testing';
import {
  answersGraphQL,
  barChart,
  DatabaseCpu,
  freePort,
  RESULTS_DIR,
  startAskyGateway,
  startAskyReplica,
  startProcess,
  stopProcess,
  usage,
  writeResult,
  runBench,
} from './lib';
import { grafbaseBinary, startGrafbase } from './peers/grafbase';
import { signedSessions } from './sessions';

const env = new EnvReader();
const SECONDS = env.int('BENCH_SECONDS', 3, 1, 60); // per pass: each target is measured twice
const WARM_UP_SECONDS = 2;
const CONNECTIONS = env.int('BENCH_CONNECTIONS', 20, 1, 500);
/** A folder for the CPU profiles (`--cpu-prof`) of Asky's processes. */
const PROFILE = env.string('BENCH_PROFILE');
const ONLY = env.string('BENCH_ONLY'); // "single": only the single-subgraph runs; "dashboard": only the dashboard runs
/** Another checkout whose replica runs beside this one's. */
const COMPARE = env.string('BENCH_COMPARE');

const SINGLE = '{ dispensers { code name unit status } }';
/** Every request differs (a search no medicine matches): no in-flight sharing possible anywhere. */
const UNIQUE = 'query ($unique: String) { medicines(search: $unique) { name } }';
/** A charge nurse's ward list, each request with its own token (as many screens, each its own session): nothing to share. */
const WARD_LIST =
  '{ requests(first: 20) { id status priority createdAt requester { name } medicine { name } dispenser { code location } } }';
const dashboard = (size: number) =>
  `{ requests(first: ${size}) { id status priority createdAt requester { name } assignee { name } medicine { name } dispenser { code location } } }`;

interface Run {
  readonly target: string;
  readonly query: string;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** CPU of the process under test, % of one core, when it has its own process. */
  readonly cpuPercent?: number;
  /** Machine-wide CPU per request: the target's process, the subgraphs in this process, the database's backends. */
  readonly machineMsPerRequest?: number;
}

/** Runs autocannon in the load process. */
const autocannonIn = (loader: ChildProcess, order: LoadOrder) =>
  new Promise<autocannon.Result>((resolve) => {
    loader.once('message', (result: autocannon.Result) => resolve(result));
    loader.send(order);
  });

/** One token for every request, or sessions to take turns with (separate callers: nothing shared). */
type Callers = string | readonly string[];
const orderFor = (url: string, query: string, callers: Callers, seconds: number): LoadOrder => ({
  url,
  body: JSON.stringify({ query }),
  token: typeof callers === 'string' ? callers : callers[0]!,
  tokens: typeof callers === 'string' ? undefined : callers,
  connections: CONNECTIONS,
  seconds,
  unique: query === UNIQUE,
});

/** CPU seconds so far of every process that serves a request: the target's, this one's (the subgraphs), the database's backends. */
const machineCpu = async (database: DatabaseCpu, pid?: number) =>
  (pid ? usage(pid).cpuSeconds : 0) + usage(process.pid).cpuSeconds + (await database.seconds());

async function load(
  loader: ChildProcess,
  database: DatabaseCpu,
  url: string,
  query: string,
  callers: Callers,
  pid?: number,
): Promise<Omit<Run, 'target' | 'query'>> {
  const order = orderFor(url, query, callers, SECONDS);
  const before = pid ? usage(pid).cpuSeconds : 0;
  const machineBefore = await machineCpu(database, pid);
  const result = await autocannonIn(loader, order);
  const cpu = pid ? ((usage(pid).cpuSeconds - before) / SECONDS) * 100 : undefined;
  const machineMs = ((await machineCpu(database, pid)) - machineBefore) * 1000;
  const bad = result.non2xx + result.errors + result.timeouts;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: bad,
    cpuPercent: cpu,
    machineMsPerRequest: machineMs / Math.max(1, result.requests.total),
  };
}

/** Two measurements of one target: mean throughput and CPU, mean p50, worst p99, all errors. */
function averaged(parts: readonly Omit<Run, 'target' | 'query'>[]): Omit<Run, 'target' | 'query'> {
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const defined = (values: (number | undefined)[]) => values.filter((c): c is number => c !== undefined);
  const cpu = defined(parts.map((p) => p.cpuPercent));
  const machine = defined(parts.map((p) => p.machineMsPerRequest));
  return {
    requestsPerSecond: mean(parts.map((p) => p.requestsPerSecond)),
    p50Ms: mean(parts.map((p) => p.p50Ms)),
    p99Ms: Math.max(...parts.map((p) => p.p99Ms)),
    errors: parts.reduce((n, p) => n + p.errors, 0),
    cpuPercent: cpu.length ? mean(cpu) : undefined,
    machineMsPerRequest: machine.length ? mean(machine) : undefined,
  };
}

/** Every request is answered with data and no errors (checked once before measuring). */
async function check(url: string, query: string, token: string, target: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  if (!res.ok || body.errors || !body.data)
    throw new Error(`${target} does not answer ${query}: ${JSON.stringify(body).slice(0, 300)}`);
}

/** The supergraph with its subgraph URLs pointing at this system's subgraphs (what peers read). */
function supergraphFor(system: TestSystem): string {
  let sdl = readSupergraphSdl();
  for (const [name, url] of Object.entries(system.subgraphUrls)) {
    sdl = sdl.replace(new RegExp(`(name: "${name}", url: ")[^"]+(")`), `$1${url}$2`);
  }
  const file = path.join(tmpdir(), `asky-bench-supergraph-${process.pid}.graphql`);
  writeFileSync(file, sdl);
  return file;
}

async function main() {
  const system = await startTestSystem({ production: true, userStatusTtlMs: 60_000 });
  const { technician, admin, nurse, charge } = await system.loginAll();
  // Enough requests for the largest page.
  for (let i = 0; i < 200; i++) {
    await system.graphql(
      'mutation { createRequest(input: { kind: MEDICINE, priority: URGENT, medicineId: "22222222-2222-4222-8222-000000000003", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 1, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
      {},
      { token: nurse },
    );
  }
  const supergraphFile = supergraphFor(system);
  const ports = {
    replica: await freePort(),
    compared: await freePort(),
    asky: await freePort(),
    apollo: await freePort(),
    hive: await freePort(),
    hiveRust: await freePort(),
    grafbase: await freePort(),
  };
  const grafbase = grafbaseBinary();
  if ('missing' in grafbase) console.log(`(Grafbase Gateway skipped: ${grafbase.missing})`);
  const url = (port: number) => `http://127.0.0.1:${port}/graphql`;
  const profile = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  const peers = {
    'Asky, one process': await startAskyReplica(system, ports.replica, undefined, profile),
    ...(COMPARE
      ? { 'Asky, one process (compared)': await startAskyReplica(system, ports.compared, path.resolve(COMPARE)) }
      : {}),
    'Asky, split': await startAskyGateway(system, ports.asky, {}, profile),
    '@apollo/gateway (defaults)': await startProcess(
      path.join(__dirname, 'peers/apolloStock.ts'),
      { PORT: String(ports.apollo), SUPERGRAPH_FILE: supergraphFile },
      answersGraphQL(url(ports.apollo)),
    ),
    'Hive Gateway': await startProcess(
      path.join(__dirname, 'peers/hive.ts'),
      { PORT: String(ports.hive), SUPERGRAPH_FILE: supergraphFile },
      answersGraphQL(url(ports.hive)),
    ),
    'Hive Gateway, Rust planner': await startProcess(
      path.join(__dirname, 'peers/hive.ts'),
      { PORT: String(ports.hiveRust), SUPERGRAPH_FILE: supergraphFile, HIVE_RUST_PLANNER: '1' },
      answersGraphQL(url(ports.hiveRust)),
    ),
    ...('file' in grafbase ? { 'Grafbase Gateway': await startGrafbase(grafbase.file, system, ports.grafbase) } : {}),
  };
  const urls: Record<string, string> = {
    'Asky, one process': url(ports.replica),
    'Asky, one process (compared)': url(ports.compared),
    'Asky, split': url(ports.asky),
    '@apollo/gateway (defaults)': url(ports.apollo),
    'Hive Gateway': url(ports.hive),
    'Hive Gateway, Rust planner': url(ports.hiveRust),
    'Grafbase Gateway': url(ports.grafbase),
  };
  const OURS = 'Asky, one process';
  const PEERS = Object.keys(peers).filter((name) => name !== OURS);
  const gateways = Object.entries(peers).map(([target, child]) => ({ target, url: urls[target]!, pid: child.pid }));
  const database = new DatabaseCpu(system.database.url);
  const loader = fork(path.join(__dirname, 'loadClient.ts'), [], {
    execArgv: ['--conditions=typescript', '--import', 'tsx'],
  });
  await new Promise((resolve) => loader.once('message', resolve));
  const runs: Run[] = [];
  /**
   * Measures targets side by side on one query, fairly: every target (and the
   * subgraphs behind it, which share this process) is warmed up first, then they
   * are measured in order and again in reverse order, and the two runs averaged —
   * measured once in a fixed order, the first target met cold subgraphs (the
   * dashboard's first run read ~20 % lower than the same gateway later).
   */
  const compare = async (
    targets: readonly { target: string; url: string; pid?: number }[],
    query: string,
    callers: Callers,
    label = query,
  ): Promise<Run[]> => {
    for (const { target, url: targetUrl } of targets) {
      await check(targetUrl, query, typeof callers === 'string' ? callers : callers[0]!, target);
      process.stderr.write(`bench: warming ${target} — ${label.slice(0, 40)}…\n`);
      await autocannonIn(loader, orderFor(targetUrl, query, callers, WARM_UP_SECONDS));
    }
    const measured = new Map<string, Omit<Run, 'target' | 'query'>[]>();
    for (const { target, url: targetUrl, pid } of [...targets, ...[...targets].reverse()]) {
      process.stderr.write(`bench: ${target} — ${query.slice(0, 40)}…\n`);
      measured.set(target, [
        ...(measured.get(target) ?? []),
        await load(loader, database, targetUrl, query, callers, pid),
      ]);
    }
    const combined = targets.map(({ target }) => ({ target, query: label, ...averaged(measured.get(target)!) }));
    runs.push(...combined);
    return combined;
  };
  const ratio = (a: Run, b: Run) => a.requestsPerSecond / b.requestsPerSecond;
  /** Requests per second of CPU the gateway's process used (Grafbase's per-core figure: it carries across machines). */
  const perCoreSecond = (r: Run) => (r.cpuPercent ? r.requestsPerSecond / (r.cpuPercent / 100) : undefined);
  const line = (r: Run) =>
    `  ${r.target.padEnd(30)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(0).padStart(4)} ms  p99 ${String(r.p99Ms).padStart(4)} ms${r.cpuPercent === undefined ? '' : `  its process ${r.cpuPercent.toFixed(0)}% (${((r.cpuPercent * 10) / r.requestsPerSecond).toFixed(2)} ms per request, ${perCoreSecond(r)!.toFixed(0)} per core-second)`}${r.machineMsPerRequest === undefined ? '' : `  machine-wide ${r.machineMsPerRequest.toFixed(2)} ms per request`}${r.errors ? `  ${r.errors} ERRORS` : ''}`;
  /** Asky against a peer: in req/s, in requests per core-second of the gateway's process, and in machine-wide CPU per request. */
  const versus = (ours: Run, peer: Run) => {
    const cores =
      perCoreSecond(ours) && perCoreSecond(peer)
        ? ` · per core-second ${(perCoreSecond(ours)! / perCoreSecond(peer)!).toFixed(2)}`
        : '';
    const machine =
      ours.machineMsPerRequest && peer.machineMsPerRequest
        ? ` · machine-wide CPU per request ${(ours.machineMsPerRequest / peer.machineMsPerRequest).toFixed(2)} (target ≤ 1.0)`
        : '';
    return `  ${ours.target} / ${peer.target}: ${ratio(ours, peer).toFixed(2)}${cores} (target ≥ 1.0)${machine}`;
  };
  const singleSubgraphRuns = async () => {
    const direct = { target: 'pyxis subgraph, direct', url: system.subgraphUrls.pyxis };
    await compare([direct, ...gateways], SINGLE, technician);
    await compare([direct, ...gateways], UNIQUE, technician);
    const find = (target: string, query: string) => runs.find((r) => r.target === target && r.query === query)!;
    const ours = find(OURS, SINGLE);
    const directSingle = find('pyxis subgraph, direct', SINGLE);
    console.log(`gateway bench: ${CONNECTIONS} connections, ${SECONDS} s per run, each gateway in its own process`);
    console.log(`single-subgraph query ${SINGLE}`);
    for (const r of runs.filter((r) => r.query === SINGLE)) console.log(line(r));
    console.log(`  ${OURS} / direct: ${ratio(ours, directSingle).toFixed(2)} (target ≥ 0.6)`);
    for (const peer of PEERS) console.log(versus(ours, find(peer, SINGLE)));
    console.log(
      `  (${CONNECTIONS} connections of one user asking the same: gateways that share identical work in flight gain)`,
    );
    console.log(`single-subgraph query, every request different ${UNIQUE}`);
    for (const r of runs.filter((r) => r.query === UNIQUE)) console.log(line(r));
    const oursUnique = find(OURS, UNIQUE);
    console.log(
      `  ${OURS} / direct: ${ratio(oursUnique, find('pyxis subgraph, direct', UNIQUE)).toFixed(2)} (target ≥ 0.6)`,
    );
    for (const peer of PEERS) console.log(versus(oursUnique, find(peer, UNIQUE)));
  };
  try {
    if (ONLY !== 'dashboard') await singleSubgraphRuns();
    if (ONLY === 'single') return;
    const dashboardRuns = await compare(gateways, dashboard(50), admin);
    // The same query from one session per connection: nothing identical in flight to share, each request planned, fetched and shaped.
    const [adminEmail, adminPassword] = MOCK_USERS.admin;
    // Each from its own workstation (as a ward's screens are): one account's sign-ins from one place are rate-limited.
    const signIn = async (i: number) => {
      const body = await system.graphql<{ login: { accessToken: string } }>(
        'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
        { email: adminEmail, password: adminPassword },
        {
          url: system.subgraphUrls.auth,
          headers: { 'x-forwarded-for': `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` },
        },
      );
      if (!body.data) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
      return body.data.login.accessToken;
    };
    const sessions: string[] = [];
    for (let i = 0; i < CONNECTIONS; i++) sessions.push(await signIn(i)); // one at a time: hashing is bounded
    const separateRuns = await compare(gateways, dashboard(50), sessions, `${dashboard(50)} (${CONNECTIONS} sessions)`);
    const wardRuns = await compare(
      gateways,
      WARD_LIST,
      signedSessions(system, charge, 500),
      `${WARD_LIST} (a token per request)`,
    );
    const pages = [];
    for (const size of [10, 50, 200]) {
      await check(urls['Asky, split'], dashboard(size), admin, 'Asky, split');
      await new Promise((r) => setTimeout(r, 1_000)); // the last run's stragglers are done
      // The fewest of three: a cache refreshed meanwhile (account statuses) adds its own statement.
      let sql = Infinity;
      for (let i = 0; i < 3; i++) {
        system.resetQueries();
        await check(urls['Asky, split'], dashboard(size), admin, 'Asky, split');
        sql = Math.min(
          sql,
          Object.values(system.queries).reduce((n, q) => n + q.length, 0),
        );
      }
      const [run] = await compare(
        [{ target: 'Asky, split', url: urls['Asky, split'], pid: peers['Asky, split'].pid }],
        dashboard(size),
        admin,
      );
      pages.push({ size, sqlQueriesPerOperation: sql, requestsPerSecond: run.requestsPerSecond, p99Ms: run.p99Ms });
    }

    console.log('dashboard query (50 requests with requester, assignee, medicine, dispenser: all three subgraphs)');
    for (const r of dashboardRuns) console.log(line(r));
    for (const peer of dashboardRuns.slice(1)) console.log(versus(dashboardRuns[0]!, peer));
    console.log(
      `  (${CONNECTIONS} connections of one admin session: gateways that share identical work in flight gain)`,
    );
    console.log(
      `dashboard query, one admin session per connection (nothing identical to share: each gateway's own cost)`,
    );
    for (const r of separateRuns) console.log(line(r));
    for (const peer of separateRuns.slice(1)) console.log(versus(separateRuns[0]!, peer));
    console.log(
      "a charge nurse's ward list (20 requests, all three subgraphs), a different token per request (nothing to share anywhere)",
    );
    for (const r of wardRuns) console.log(line(r));
    for (const peer of wardRuns.slice(1)) console.log(versus(wardRuns[0]!, peer));
    console.log(
      'dashboard page sizes through Asky, split (its subgraphs here count their SQL) (cost must grow sub-linearly)',
    );
    for (const p of pages)
      console.log(
        `  first: ${String(p.size).padStart(3)}  ${p.requestsPerSecond.toFixed(0).padStart(6)} req/s  p99 ${p.p99Ms} ms  ${p.sqlQueriesPerOperation} SQL queries per operation`,
      );
    const withCores = (list: readonly Run[]) => list.map((r) => ({ ...r, requestsPerCoreSecond: perCoreSecond(r) }));
    const classes = [
      {
        name: 'single-subgraph, identical (one user, 20 connections)',
        runs: withCores(runs.filter((r) => r.query === SINGLE)),
      },
      { name: 'single-subgraph, every request different', runs: withCores(runs.filter((r) => r.query === UNIQUE)) },
      { name: 'dashboard, 50 requests across all three subgraphs, one admin session', runs: withCores(dashboardRuns) },
      { name: 'the same dashboard, one session per connection', runs: withCores(separateRuns) },
      {
        name: "a charge nurse's ward list, a different token per request (nothing to share)",
        runs: withCores(wardRuns),
      },
    ];
    const file = writeResult('gateways', { connections: CONNECTIONS, seconds: SECONDS, classes, pages });
    const chart = path.join(RESULTS_DIR, 'gateways.svg');
    writeFileSync(
      chart,
      barChart(
        `req/s, ${CONNECTIONS} connections (${new Date().toISOString().slice(0, 10)})`,
        'req/s',
        [
          ...runs.filter((r) => r.query === SINGLE || r.query === UNIQUE),
          ...dashboardRuns,
          ...separateRuns,
          ...wardRuns,
        ].map((r) => ({
          label: `${r.target}${r.query === SINGLE ? '' : r.query === UNIQUE ? ' · unique' : r.query === dashboard(50) ? ' · dashboard' : wardRuns.includes(r) ? ' · ward list, token per request' : ' · dashboard, sessions'}`,
          value: r.requestsPerSecond,
        })),
      ),
    );
    console.log(`  written to ${path.relative(process.cwd(), file)} and ${path.relative(process.cwd(), chart)}`);
  } finally {
    await Promise.all([...Object.values(peers), loader].map(stopProcess));
    await system.stop();
  }
}

runBench(main);
