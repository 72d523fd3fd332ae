/**
 * `npm run bench:hospital`: a hospital network's peak hour as an open-loop
 * workload (the model, with its sources, is in bench/README.md), against the
 * default deployment — one process running the gateway and its subgraphs
 * (`npm start`'s launcher), over its own database on the machine's Postgres and
 * its own exchange. Each step runs the model at a multiple of a 2,000-bed
 * network (1×, 10×, then doubling until an SLO fails) and checks the SLOs: p99
 * under 300 ms for queries and mutations, live p99 under 1 s from commit, no
 * error, no event lost. Then each operation class alone, for its machine-wide
 * CPU per operation: the system's process plus its own database's backends plus
 * the broker. Prints how many beds one core serves. `BENCH_REPLICAS` (default
 * 1) runs that many identical replicas over the one database (the first
 * migrates it), the load spread over them as a Service would. Bounded
 * (`BENCH_SECONDS` per step, default 20; `BENCH_MAX_MULTIPLE`, default 320).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EnvReader } from '@asky/shared';
import { serviceRoleUrl } from '@asky/launcher';
import { adminQuery, fillSlots, signUserToken, testAdminUrl, testAmqpUrl } from '@asky/testing';
import { collectReceived, openScreens } from './liveScreens';
import { cpuByGroup, DatabaseCpu, freePort, percentile, runBench, startProcess, stopProcess, writeResult } from './lib';

const env = new EnvReader();
const SECONDS = env.int('BENCH_SECONDS', 20, 5, 300);
const MAX_MULTIPLE = env.int('BENCH_MAX_MULTIPLE', 320, 1, 10_000);
/** Seconds each operation class runs alone for its CPU figure. */
const CLASS_SECONDS = env.int('BENCH_CLASS_SECONDS', 8, 2, 60);
/** A folder for the system process's CPU profile (`--cpu-prof`). */
const PROFILE = env.string('BENCH_PROFILE');
/** Identical one-process replicas over the one database. */
const REPLICAS = env.int('BENCH_REPLICAS', 1, 1, 8);

const BEDS = 2_000;
const SLO = { p99Ms: 300, liveP99Ms: 1_000 };

const USERS = {
  nurse: { subject: '11111111-1111-4111-8111-000000000001', role: 'NURSE' },
  pharmacist: { subject: '11111111-1111-4111-8111-000000000002', role: 'PHARMACIST' },
  technician: { subject: '11111111-1111-4111-8111-000000000003', role: 'TECHNICIAN' },
  charge: { subject: '11111111-1111-4111-8111-000000000005', role: 'CHARGE_NURSE' },
} as const;
type Person = keyof typeof USERS;

const UTI_A = '44444444-4444-4444-8444-000000000001';

/** An operation class of the model: who sends it, what, and how often per second at 1× (a 2,000-bed network's peak hour). */
interface OperationClass {
  readonly name: string;
  readonly person: Person;
  readonly perSecond: number;
  readonly body: () => object;
}

/** The peak hour of a 2,000-bed network at 1× (bench/README.md, "The hospital model"). */
const MODEL: readonly OperationClass[] = [
  {
    name: 'ward board (50 requests, 3 subgraphs)',
    person: 'charge',
    perSecond: 2.2,
    body: () => ({
      query:
        '{ requests(first: 50) { id status priority createdAt requester { name } assignee { name } medicine { name strength } dispenser { code location } } }',
    }),
  },
  {
    name: "nurse's requests (phone)",
    person: 'nurse',
    perSecond: 3.3,
    body: () => ({ query: '{ myRequests(first: 10) { id status priority createdAt medicine { name } } }' }),
  },
  {
    name: 'pharmacy queue',
    person: 'pharmacist',
    perSecond: 0.67,
    body: () => ({
      query:
        '{ queue(first: 20) { id status priority createdAt requester { name } medicine { name } dispenser { code } } }',
    }),
  },
  {
    name: 'catalogue search',
    person: 'nurse',
    perSecond: 0.22,
    body: () => ({
      query: 'query ($s: String) { medicines(search: $s, first: 10) { id name strength unit } }',
      variables: { s: ['para', 'dipi', 'morf', 'insul', 'sora'][Math.floor(Math.random() * 5)] },
    }),
  },
  {
    name: "a dispenser's stock",
    person: 'technician',
    perSecond: 0.33,
    body: () => ({
      query: `{ dispenser(id: "${UTI_A}") { code name stock { slot quantity available expired medicine { name } } } }`,
    }),
  },
];
/** Requests created per second at 1×: 400 nurses on shift, 6 requests each per 12-hour shift, twice the average at the peak hour. */
const CREATES_PER_SECOND = (400 * 6 * 2) / (12 * 3600);
/** After its creation, each request is accepted, prepared, picked up and completed by the pharmacy, these many ms later. */
const MOVES = [
  ['ACCEPTED', 4_000],
  ['PREPARING', 8_000],
  ['IN_TRANSIT', 12_000],
  ['COMPLETED', 16_000],
] as const;
/**
 * Live screens that show a given change, per 1×: the pharmacy's 20 (they see
 * every request), its unit's board and its requester's phone. A unit's board
 * sees only its unit's requests, so the other 66 boards of a 2,000-bed network
 * get none of it: what costs is deliveries per change, modelled by screens that
 * see every change.
 */
const SUBSCRIBERS_PER_MULTIPLE = 22;

const CREATE = { query: `mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }` };
const MOVE = 'mutation ($id: ID!, $s: RequestStatus!) { updateRequestStatus(id: $id, status: $s) { status } }';

interface Outcome {
  readonly ms: number;
  readonly ok: boolean;
}

/** Exponential gaps: arrivals of a Poisson process at `perSecond` (open loop: nobody waits for an answer to send the next). */
const nextGap = (perSecond: number) => (-Math.log(1 - Math.random()) / perSecond) * 1000;

async function post(url: string, token: string, body: object): Promise<{ outcome: Outcome; data?: any }> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const answer = (await res.json()) as { data?: any; errors?: unknown[] };
    return { outcome: { ms: performance.now() - started, ok: res.ok && !answer.errors?.length }, data: answer.data };
  } catch {
    return { outcome: { ms: performance.now() - started, ok: false } };
  }
}

/** A run's CPU milliseconds per operation, in all and by where. */
const perOperation = (run: {
  operations: number;
  cpuParts: { process: number; database: number; broker: number; total: number };
}) => {
  const ms = (seconds: number) => Number(((seconds * 1000) / Math.max(1, run.operations)).toFixed(2));
  return {
    cpuMsPerOperation: ms(run.cpuParts.total),
    processMs: ms(run.cpuParts.process),
    databaseMs: ms(run.cpuParts.database),
    brokerMs: ms(run.cpuParts.broker),
  };
};

const p99 = (outcomes: readonly Outcome[]) =>
  percentile(
    outcomes.map((o) => o.ms).sort((a, b) => a - b),
    99,
  );

async function main() {
  const database = `asky_bench_hospital_${process.pid}`;
  const adminUrl = testAdminUrl();
  const databaseUrl = new URL(adminUrl.href);
  databaseUrl.pathname = `/${database}`;
  const keysDir = mkdtempSync(path.join(tmpdir(), 'asky-bench-keys-'));
  const exchange = `asky.bench.hospital.${process.pid}`;
  /** A replica's own settings; the first is given the admin URL and migrates, the others are given the roles' URLs. */
  const startReplica = async (first: boolean) => {
    const port = await freePort();
    const database = first
      ? { DATABASE_URL: databaseUrl.href }
      : Object.fromEntries(
          (['auth', 'pyxis', 'request'] as const).map((name) => [
            `${name.toUpperCase()}_DATABASE_URL`,
            serviceRoleUrl(databaseUrl, name).href,
          ]),
        );
    const child = await startProcess(
      path.join(__dirname, `../packages/launcher/src/${first ? 'main' : 'replica'}.ts`),
      {
        ...database,
        AMQP_URL: testAmqpUrl(),
        EVENTS_EXCHANGE: exchange,
        EVENTS_QUEUE_PREFIX: `bench.${process.pid}.`,
        GATEWAY_PORT: String(port),
        AUTH_PORT: String(await freePort()),
        PYXIS_PORT: String(await freePort()),
        REQUEST_PORT: String(await freePort()),
        AUTH_KEYS_DIR: keysDir,
        AUTH_GENERATE_KEY: first ? 'true' : 'false',
        NODE_ENV: process.env.BENCH_NODE_ENV ?? 'production',
        LOG_LEVEL: 'warn',
        // One account stands for each role's hundreds of people: its per-person limits are raised.
        GATEWAY_REQUESTS_PER_CALLER: '1000000',
        LIVE_CONNECTIONS_PER_USER: '100000',
        LIVE_SUBSCRIPTIONS_PER_USER: '100000',
      },
      `http://127.0.0.1:${port}/ready`,
      PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
    );
    return { child, port };
  };
  const replicas = [await startReplica(true)];
  while (replicas.length < REPLICAS) replicas.push(await startReplica(false));
  let turn = 0;
  /** The next replica's GraphQL URL, in turn (as a Service spreads connections). */
  const nextUrl = () => `http://127.0.0.1:${replicas[turn++ % replicas.length]!.port}/graphql`;
  const token = (person: Person) => signUserToken(keysDir, { ...USERS[person], expiresIn: 4 * 3600 });
  const sessions = Object.fromEntries(
    Object.keys(USERS).map((p) => [p, Array.from({ length: 50 }, () => token(p as Person))]),
  ) as Record<Person, string[]>;
  const session = (person: Person) => sessions[person][Math.floor(Math.random() * sessions[person].length)]!;
  // Requests spread over every cabinet's slots of medicines that need no witness, as wards ask their own cabinets.
  const stocked = `"medicineId" IN (SELECT id FROM pyxis."Medicine" WHERE NOT controlled) AND "dispenserId" IN (SELECT id FROM pyxis."Dispenser" WHERE status = 'ACTIVE')`;
  await fillSlots(databaseUrl, stocked, 10_000_000);
  const slots = (
    await adminQuery(`SELECT DISTINCT "dispenserId", "medicineId" FROM pyxis."StockItem" WHERE ${stocked}`, databaseUrl)
  ).rows as { dispenserId: string; medicineId: string }[];
  const anySlot = () => slots[Math.floor(Math.random() * slots.length)]!;
  const databaseCpu = new DatabaseCpu(databaseUrl);
  /** CPU seconds so far of what serves the hospital: the system's process, its database's backends, the broker. */
  const systemCpu = async () => {
    const groups = await cpuByGroup(
      Object.fromEntries(replicas.map((r, i) => [`replica ${i}`, r.child.pid])),
      databaseCpu,
    );
    const own = replicas.reduce((sum, _r, i) => sum + groups[`replica ${i}`]!, 0);
    const { Postgres: database, RabbitMQ: broker = 0 } = groups;
    return { process: own, database: database!, broker, total: own + database! + broker };
  };
  const spent = (from: Awaited<ReturnType<typeof systemCpu>>, to: typeof from) => ({
    process: to.process - from.process,
    database: to.database - from.database,
    broker: to.broker - from.broker,
    total: to.total - from.total,
  });

  /** Runs the model at `multiple` for `seconds`: what each class got, and the live screens'. */
  const runModel = async (
    multiple: number,
    seconds: number,
    classes: readonly OperationClass[],
    creates: boolean,
    screens: number,
  ) => {
    const children = screens
      ? await openScreens(
          replicas.map((r) => `ws://127.0.0.1:${r.port}/graphql`),
          () => session('pharmacist'),
          screens,
          Math.min(4, Math.ceil(screens / 2_000)),
        )
      : [];
    const outcomes = new Map<string, Outcome[]>();
    const record = (name: string, outcome: Outcome) => outcomes.set(name, [...(outcomes.get(name) ?? []), outcome]);
    const pending: Promise<unknown>[] = [];
    const changes: string[] = []; // request|status of every committed change
    const until = performance.now() + seconds * 1000;
    const loop = (perSecond: number, send: () => Promise<void>) =>
      (async () => {
        for (let at = performance.now() + nextGap(perSecond); at < until; at += nextGap(perSecond)) {
          await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
          pending.push(send());
        }
      })();
    const cpuBefore = await systemCpu();
    const started = performance.now();
    const loops = classes.map((c) =>
      loop(c.perSecond * multiple, async () => {
        record(c.name, (await post(nextUrl(), session(c.person), c.body())).outcome);
      }),
    );
    if (creates) {
      loops.push(
        loop(CREATES_PER_SECOND * multiple, async () => {
          const input = { kind: 'MEDICINE', priority: 'URGENT', ...anySlot(), quantity: 1 };
          const created = await post(nextUrl(), session('nurse'), { ...CREATE, variables: { input } });
          record('createRequest', created.outcome);
          const id = created.data?.createRequest?.id as string | undefined;
          if (!id) return;
          changes.push(`${id}|PENDING`);
          let last = 0;
          for (const [status, after] of MOVES) {
            await new Promise((r) => setTimeout(r, after - last));
            last = after;
            const moved = await post(nextUrl(), session('pharmacist'), { query: MOVE, variables: { id, s: status } });
            record('updateRequestStatus', moved.outcome);
            if (!moved.outcome.ok) return;
            changes.push(`${id}|${status}`);
          }
        }),
      );
    }
    await Promise.all(loops);
    await Promise.all(pending);
    const wall = (performance.now() - started) / 1000;
    const cpuParts = spent(cpuBefore, await systemCpu());
    const cpu = cpuParts.total;
    await new Promise((r) => setTimeout(r, 2_000)); // the last changes' live updates
    const received = children.length ? await collectReceived(children) : [];
    await Promise.all(children.map((c) => stopProcess(c)));
    const expected = new Set(changes);
    const liveMs = received
      .filter((r) => expected.has(`${r.requestId}|${r.status}`))
      .map((r) => r.at - r.committedAt)
      .sort((a, b) => a - b);
    const operations = [...outcomes.values()].reduce((sum, list) => sum + list.length, 0);
    return {
      wall,
      cpu,
      cpuParts,
      operations,
      outcomes,
      deliveries: {
        expected: expected.size * screens,
        received: liveMs.length,
        p50Ms: percentile(liveMs, 50),
        p99Ms: percentile(liveMs, 99),
      },
    };
  };

  try {
    process.stderr.write('bench: warming up…\n');
    await runModel(1, 5, MODEL, true, 10);
    const steps = [];
    let highest = 0;
    for (let multiple = 1; multiple <= MAX_MULTIPLE; multiple = multiple === 1 ? 10 : multiple * 2) {
      process.stderr.write(`bench: ${multiple}× (${BEDS * multiple} beds) for ${SECONDS} s…\n`);
      const run = await runModel(multiple, SECONDS, MODEL, true, SUBSCRIBERS_PER_MULTIPLE * multiple);
      const classes = [...run.outcomes.entries()].map(([name, list]) => ({
        name,
        count: list.length,
        errors: list.filter((o) => !o.ok).length,
        p50Ms: Math.round(
          percentile(
            list.map((o) => o.ms).sort((a, b) => a - b),
            50,
          ),
        ),
        p99Ms: Math.round(p99(list)),
      }));
      const lost = run.deliveries.expected - run.deliveries.received;
      const met =
        classes.every((c) => c.errors === 0 && c.p99Ms < SLO.p99Ms) &&
        lost === 0 &&
        !(run.deliveries.p99Ms >= SLO.liveP99Ms);
      const step = {
        multiple,
        beds: BEDS * multiple,
        seconds: SECONDS,
        operationsPerSecond: Math.round(run.operations / run.wall),
        coresBusy: Number((run.cpu / run.wall).toFixed(2)),
        cpuMsPerOperation: Number(((run.cpu * 1000) / run.operations).toFixed(2)),
        classes,
        live: { screens: SUBSCRIBERS_PER_MULTIPLE * multiple, ...run.deliveries, lost },
        slosMet: met,
      };
      steps.push(step);
      console.log(
        `${multiple}× (${step.beds} beds): ${step.operationsPerSecond} ops/s, ${step.coresBusy} cores busy (system + its database + broker), ${step.cpuMsPerOperation} ms CPU/op, live p99 ${Math.round(run.deliveries.p99Ms)} ms, ${lost} lost — SLOs ${met ? 'met' : 'MISSED'}`,
      );
      for (const c of classes)
        console.log(`    ${c.name}: ${c.count} ops, p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, ${c.errors} errors`);
      if (!met) break;
      highest = multiple;
    }

    // Each class alone at 50 a second (a rate that the idle work — relays polling, the broker — does not dominate), for machine-wide CPU per operation.
    const perClass = [];
    for (const c of MODEL) {
      const alone = await runModel(50 / c.perSecond, CLASS_SECONDS, [c], false, 0);
      perClass.push({ name: c.name, ...perOperation(alone) });
    }
    const writes = await runModel(10 / CREATES_PER_SECOND, CLASS_SECONDS + 18, [], true, 0);
    perClass.push({ name: 'createRequest and its 4 moves', ...perOperation(writes) });
    const idleFrom = await systemCpu();
    await new Promise((r) => setTimeout(r, CLASS_SECONDS * 1000));
    const idleCores = spent(idleFrom, await systemCpu()).total / CLASS_SECONDS;
    console.log(
      `machine-wide CPU per operation, each class alone at 50/s (system process + its database backends + broker; idle, these use ${idleCores.toFixed(2)} cores):`,
    );
    for (const c of perClass)
      console.log(
        `    ${c.name}: ${c.cpuMsPerOperation} ms (process ${c.processMs}, database ${c.databaseMs}, broker ${c.brokerMs})`,
      );

    const best = steps.find((s) => s.multiple === highest) ?? steps[0]!;
    const bedsPerCore = Math.round(best.beds / Math.max(best.coresBusy, 0.01));
    console.log(
      `${REPLICAS} replica(s): highest multiple with every SLO met: ${highest}× (${BEDS * highest} beds); at it one core serves ${bedsPerCore} beds`,
    );
    const file = writeResult(REPLICAS > 1 ? `hospital-${REPLICAS}-replicas` : 'hospital', {
      replicas: REPLICAS,
      model: {
        beds: BEDS,
        createsPerSecond: CREATES_PER_SECOND,
        moves: MOVES,
        classes: MODEL.map(({ name, person, perSecond }) => ({ name, person, perSecond })),
        screensPerMultiple: SUBSCRIBERS_PER_MULTIPLE,
      },
      slo: SLO,
      steps,
      highestMultiple: highest,
      bedsPerCore,
      perClass,
      idleCores,
      node: process.version,
    });
    console.log(`wrote ${file}`);
  } finally {
    await Promise.all(replicas.map((r) => stopProcess(r.child)));
    await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, adminUrl).catch(() => undefined);
  }
}

runBench(main);
