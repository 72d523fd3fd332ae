/**
 * `npm run bench:report`: README's benchmark figures from the results the
 * benchmarks wrote (bench/results/*.json, checked in with the run they come
 * from): the block between the markers is rewritten, never edited by hand
 * (generated.test.ts checks it matches).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const README = path.join(__dirname, '../README.md');
export const GATEWAYS_RESULT = path.join(__dirname, 'results/gateways.json');
const START = '<!-- bench:gateways (npm run bench:report) -->';
const END = '<!-- /bench:gateways -->';

interface Run {
  readonly target: string;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly cpuPercent?: number;
  readonly requestsPerCoreSecond?: number;
}

interface GatewaysResult {
  readonly measuredAt: string;
  readonly connections: number;
  readonly classes: readonly { readonly name: string; readonly runs: readonly Run[] }[];
  readonly pages: readonly { readonly size: number; readonly requestsPerSecond: number; readonly p99Ms: number; readonly sqlQueriesPerOperation: number }[];
}

const OURS = 'Asky gateway';
const n = (value: number) => Math.round(value).toLocaleString('en-US');
const cell = (r: Run | undefined, bold: boolean) => {
  if (!r) return '—';
  const rps = bold ? `**${n(r.requestsPerSecond)}**` : n(r.requestsPerSecond);
  return r.cpuPercent === undefined ? `${rps} req/s` : `${rps} req/s, ${((r.cpuPercent * 10) / r.requestsPerSecond).toFixed(2)} ms CPU, ${n(r.requestsPerCoreSecond!)}/core-s`;
};

/** The gateway table and ratios, as markdown. */
export function renderGatewayFigures(result: GatewaysResult): string {
  const targets = [...new Set(result.classes.flatMap((c) => c.runs.map((r) => r.target)))];
  const lines = [
    `Measured ${result.measuredAt.slice(0, 16).replace('T', ' ')} UTC, ${result.connections} connections; each cell: req/s, the gateway process's CPU per request, requests per core-second.`,
    '',
    `| query | ${targets.map((t) => (t === OURS ? `**${t}**` : t)).join(' | ')} |`,
    `| --- | ${targets.map(() => '---').join(' | ')} |`,
    ...result.classes.map((c) => `| ${c.name} | ${targets.map((t) => cell(c.runs.find((r) => r.target === t), t === OURS)).join(' | ')} |`),
    '',
    'Asky / each peer, in req/s · in requests per core-second (target ≥ 1.0 on both):',
    '',
    ...result.classes.map((c) => {
      const ours = c.runs.find((r) => r.target === OURS)!;
      const peers = c.runs.filter((r) => r.target !== OURS && r.cpuPercent !== undefined);
      return `- ${c.name}: ${peers.map((p) => `${p.target} ${(ours.requestsPerSecond / p.requestsPerSecond).toFixed(2)} · ${(ours.requestsPerCoreSecond! / p.requestsPerCoreSecond!).toFixed(2)}`).join('; ')}`;
    }),
    '',
    `The dashboard through Asky by page size: ${result.pages.map((p) => `${p.size} → ${n(p.requestsPerSecond)} req/s (${p.sqlQueriesPerOperation} SQL statements)`).join(', ')}.`,
  ];
  return `${START}\n${lines.join('\n')}\n${END}`;
}

/** README with its block replaced by the rendering of `result`. */
export function readmeWith(readme: string, result: GatewaysResult): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, start)}${renderGatewayFigures(result)}${readme.slice(end + END.length)}`;
}

export const readGatewaysResult = (): GatewaysResult => JSON.parse(readFileSync(GATEWAYS_RESULT, 'utf8')) as GatewaysResult;

if (require.main === module) {
  writeFileSync(README, readmeWith(readFileSync(README, 'utf8'), readGatewaysResult()));
  process.stdout.write(`README.md: gateway figures from ${path.relative(process.cwd(), GATEWAYS_RESULT)}\n`);
}
