/**
 * `npm run bench:report`: README's benchmark figures from the results the
 * benchmarks wrote (bench/results/*.json, checked in with the run they come
 * from): the block between the markers is rewritten, never edited by hand
 * (generated.test.ts checks it matches).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const README = path.join(__dirname, '../README.md');
const RESULTS = path.join(__dirname, 'results');
const start = (block: string) => `<!-- bench:${block} (npm run bench:report) -->`;
const end = (block: string) => `<!-- /bench:${block} -->`;

interface Run {
  readonly target: string;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly cpuPercent?: number;
  readonly requestsPerCoreSecond?: number;
  readonly machineMsPerRequest?: number;
}

interface GatewaysResult {
  readonly measuredAt: string;
  readonly connections: number;
  readonly classes: readonly { readonly name: string; readonly runs: readonly Run[] }[];
  readonly pages: readonly {
    readonly size: number;
    readonly requestsPerSecond: number;
    readonly p99Ms: number;
    readonly sqlQueriesPerOperation: number;
  }[];
}

interface WritesResult {
  readonly measuredAt: string;
  readonly connections: number;
  readonly seconds: number;
  readonly runs: readonly {
    readonly target: string;
    readonly created: number;
    readonly createdPerSecond: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly failed: number;
    readonly delivered: number;
    readonly duplicates: number;
    readonly cpuMsPerCreate: Readonly<Record<string, number>>;
  }[];
}

interface LiveResult {
  readonly measuredAt: string;
  readonly subscribers: number;
  readonly events: number;
  readonly ratePerSecond: number;
  readonly delivered: number;
  readonly expected: number;
  readonly publishToClientMs: { readonly p50: number; readonly p99: number };
  readonly followUpsPerEvent: number;
  readonly gateways: readonly {
    readonly cpuPercentOfOneCore: number;
    readonly rssMiB: number;
    readonly rssMiBPerThousandSubscribers: number;
  }[];
}

const OURS = 'Asky, one process';
const n = (value: number) => Math.round(value).toLocaleString('en-US');
const when = (measuredAt: string) => `${measuredAt.slice(0, 16).replace('T', ' ')} UTC`;
const cell = (r: Run | undefined, bold: boolean) => {
  if (!r) return '—';
  const rps = bold ? `**${n(r.requestsPerSecond)}**` : n(r.requestsPerSecond);
  const machine = r.machineMsPerRequest === undefined ? '' : `, ${r.machineMsPerRequest.toFixed(2)} ms machine-wide`;
  return r.cpuPercent === undefined
    ? `${rps} req/s`
    : `${rps} req/s, ${((r.cpuPercent * 10) / r.requestsPerSecond).toFixed(2)} ms CPU, ${n(r.requestsPerCoreSecond!)}/core-s${machine}`;
};

/** The gateway table and ratios, as markdown. */
function renderGateways(result: GatewaysResult): string {
  const targets = [...new Set(result.classes.flatMap((c) => c.runs.map((r) => r.target)))];
  const lines = [
    `Measured ${when(result.measuredAt)}, ${result.connections} connections; each cell: req/s, the target process's CPU per request, requests per core-second, and the machine-wide CPU per request (the target's process, the subgraphs it calls, the database's backends).`,
    '',
    `| query | ${targets.map((t) => (t === OURS ? `**${t}**` : t)).join(' | ')} |`,
    `| --- | ${targets.map(() => '---').join(' | ')} |`,
    ...result.classes.map(
      (c) =>
        `| ${c.name} | ${targets
          .map((t) =>
            cell(
              c.runs.find((r) => r.target === t),
              t === OURS,
            ),
          )
          .join(' | ')} |`,
    ),
    '',
    'Asky (one process) / each peer, in req/s (target ≥ 1.0) · in machine-wide CPU per request (target ≤ 1.0):',
    '',
    ...result.classes.map((c) => {
      const ours = c.runs.find((r) => r.target === OURS)!;
      const peers = c.runs.filter((r) => r.target !== OURS && r.cpuPercent !== undefined);
      const machine = (p: Run) =>
        ours.machineMsPerRequest && p.machineMsPerRequest
          ? (ours.machineMsPerRequest / p.machineMsPerRequest).toFixed(2)
          : '—';
      return `- ${c.name}: ${peers.map((p) => `${p.target} ${(ours.requestsPerSecond / p.requestsPerSecond).toFixed(2)} · ${machine(p)}`).join('; ')}`;
    }),
    '',
    `The dashboard through Asky by page size: ${result.pages.map((p) => `${p.size} → ${n(p.requestsPerSecond)} req/s (${p.sqlQueriesPerOperation} SQL statements)`).join(', ')}.`,
  ];
  return lines.join('\n');
}

function renderWrites(result: WritesResult): string {
  return result.runs
    .map((r) => {
      const cpu = Object.entries(r.cpuMsPerCreate).filter(([where]) => where !== 'machine');
      return `- ${r.target} (${when(result.measuredAt)}, ${result.connections} connections, ${result.seconds} s): **${n(r.createdPerSecond)} creates/s**, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${r.failed} failed; ${n(r.delivered)} of ${n(r.created)} \`request.created\` delivered, ${r.duplicates} duplicated; **${r.cpuMsPerCreate.machine!.toFixed(2)} ms of machine CPU per create** (target ≤ 2.0 through the gateway): ${cpu.map(([where, ms]) => `${where} ${ms.toFixed(2)}`).join(', ')}`;
    })
    .join('\n');
}

function renderLive(results: readonly LiveResult[]): string {
  return results
    .map((r) => {
      const gateways = r.gateways
        .map(
          (g) =>
            `${g.cpuPercentOfOneCore.toFixed(0)} % of a core, RSS ${n(g.rssMiB)} MiB (${g.rssMiBPerThousandSubscribers.toFixed(0)} MiB per 1,000 subscribers)`,
        )
        .join('; ');
      return `- ${n(r.subscribers)} subscribers over ${r.gateways.length} gateway${r.gateways.length > 1 ? 's' : ''}, ${r.events} events at ${r.ratePerSecond}/s (${when(r.measuredAt)}): ${n(r.delivered)} of ${n(r.expected)} delivered, publish→client p50 ${r.publishToClientMs.p50} ms, **p99 ${r.publishToClientMs.p99} ms** (target < 50 ms at 1,000), ${r.followUpsPerEvent.toFixed(2)} follow-ups per event; gateway${r.gateways.length > 1 ? 's' : ''}: ${gateways}`;
    })
    .join('\n');
}

const read = <T>(file: string): T | undefined =>
  existsSync(path.join(RESULTS, file)) ? (JSON.parse(readFileSync(path.join(RESULTS, file), 'utf8')) as T) : undefined;

/** Each README block and what renders it from bench/results (blocks whose results are missing are left as they are). */
const BLOCKS: Record<string, () => string | undefined> = {
  gateways: () => {
    const result = read<GatewaysResult>('gateways.json');
    return result && renderGateways(result);
  },
  writes: () => {
    const result = read<WritesResult>('writes.json');
    return result && renderWrites(result);
  },
  live: () => {
    const results = readdirSync(RESULTS)
      .filter((f) => /^live(-.+)?\.json$/.test(f))
      .map((f) => read<LiveResult>(f)!)
      .sort((a, b) => a.subscribers - b.subscribers);
    return results.length ? renderLive(results) : undefined;
  },
};

/** README with every block rendered from the results. */
export function readmeWith(readme: string): string {
  let text = readme;
  for (const [block, render] of Object.entries(BLOCKS)) {
    const from = text.indexOf(start(block));
    const to = text.indexOf(end(block));
    if (from < 0 || to < from) throw new Error(`README.md has no ${start(block)} … ${end(block)} block`);
    const rendered = render();
    if (rendered !== undefined) text = `${text.slice(0, from)}${start(block)}\n${rendered}\n${text.slice(to)}`;
  }
  return text;
}

if (require.main === module) {
  writeFileSync(README, readmeWith(readFileSync(README, 'utf8')));
  process.stdout.write(`README.md: benchmark figures from ${path.relative(process.cwd(), RESULTS)}\n`);
}
