/**
 * Checked-in artefacts that are generated from other files must match what their
 * generators make now: a stale one fails here, naming the command that fixes it.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SUBGRAPHS } from '@asky/shared';
import { composeSupergraph } from '@asky/supergraph/compose';
import { INIT_DB_DIR, REPO_ROOT, renderTablesScript, tablesScriptName } from '@asky/launcher';
import { testAdminUrl } from '@asky/testing';

const read = (file: string) => readFileSync(path.resolve(REPO_ROOT, file), 'utf8');

/** bench/report.ts (outside this package's sources): README's benchmark block from bench/results. */
interface BenchReport {
  readmeWith(readme: string): string;
}

describe('generated files are up to date', () => {
  it("README's benchmark figures are those of bench/results/*.json (npm run bench:report)", () => {
    const report = require(path.join(REPO_ROOT, 'bench', 'report.ts')) as BenchReport;
    expect(read('README.md')).toBe(report.readmeWith(read('README.md')));
  });

  it.each(SUBGRAPHS)(
    'init-db holds the %s tables exactly as the Prisma migrations make them (npm run db:init-sql)',
    (subgraph) => {
      expect(read(path.join(INIT_DB_DIR, tablesScriptName(subgraph)))).toBe(renderTablesScript(subgraph));
    },
  );

  it('supergraph/supergraph.graphql is the current composition, without hints (npm run compose)', () => {
    const { supergraphSdl, hints } = composeSupergraph();
    expect(hints).toEqual([]);
    expect(read('supergraph/supergraph.graphql')).toBe(supergraphSdl);
    expect(read('k8s/split/supergraph.graphql')).toBe(supergraphSdl); // the ConfigMap's copy
  });

  it('schema.graphql is the API schema clients see: no federation machinery, nothing inaccessible (npm run compose)', () => {
    const { apiSchemaSdl } = composeSupergraph();
    expect(read('schema.graphql')).toBe(apiSchemaSdl);
    expect(apiSchemaSdl).not.toMatch(/join__|link__|reserveStock|StockReservation/);
    expect(apiSchemaSdl).toMatch(/type Query \{/);
  });

  it('resolver types match each schema.graphql (npm run codegen)', async () => {
    // The CLI's own staleness check: codegen's plugins are ESM, which jest's CommonJS cannot load.
    const cli = path.join(REPO_ROOT, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js');
    const check = await runNode([cli, '--config', 'codegen.ts', '--check']);
    expect(check.stdout + check.stderr).not.toMatch(/stale/);
    expect(check.code).toBe(0);
  }, 60_000);
});

interface NodeRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node with `args` in the repository root, resolving with its exit code and output. */
function runNode(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<NodeRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, env }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('Prisma migrations', () => {
  const prismaCli = path.join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  /** `prisma migrate diff --exit-code`: 0 in sync, 2 when the schema has changes no migration makes. */
  const diffExitCode = async (config: string, schema: string): Promise<number> => {
    const args = [
      prismaCli,
      'migrate',
      'diff',
      '--config',
      config,
      '--from-migrations',
      path.join(path.dirname(config), 'migrations'),
      '--to-schema-datamodel',
      schema,
      '--exit-code',
    ];
    return (await runNode(args, { ...process.env, DATABASE_URL: testAdminUrl().href })).code;
  };

  it.each(SUBGRAPHS)(
    'make exactly the %s schema of schema.prisma',
    async (subgraph) => {
      const dir = path.join(REPO_ROOT, 'prisma', subgraph);
      expect(await diffExitCode(path.join(dir, 'prisma.config.ts'), path.join(dir, 'schema.prisma'))).toBe(0);
    },
    60_000,
  );

  it('are found missing when schema.prisma changes without a migration', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asky-prisma-'));
    try {
      cpSync(path.join(REPO_ROOT, 'prisma', 'pyxis', 'migrations'), path.join(dir, 'migrations'), { recursive: true });
      cpSync(path.join(REPO_ROOT, 'prisma', 'pyxis', 'schema.prisma'), path.join(dir, 'schema.prisma'));
      appendFileSync(path.join(dir, 'schema.prisma'), '\nmodel Drift {\n  id Int @id\n\n  @@schema("pyxis")\n}\n');
      expect(
        await diffExitCode(
          path.join(REPO_ROOT, 'prisma', 'pyxis', 'prisma.config.ts'),
          path.join(dir, 'schema.prisma'),
        ),
      ).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
