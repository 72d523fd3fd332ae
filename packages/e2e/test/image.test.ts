/**
 * What the runtime image ships, checked without a Docker engine: the Dockerfile
 * prunes dev and optional packages and deletes the compiled tests and test
 * harness; here, every module the image's processes load (followed by their
 * static imports from each entry the manifests run) must survive that, and must
 * import no package the prune removes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@asky/launcher';
import { renderKustomization } from './helpers/kustomize';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const dockerfile = read('Dockerfile').replace(/\\\n/g, ' ');
const buildLine = dockerfile.split('\n').find((line) => line.startsWith('RUN npm ci'))!;

/** `dist/src/x.js` → `src/x.ts`: the source of what a command runs. */
const sourceOf = (entry: string) => entry.replace('/dist/src/', '/src/').replace(/\.js$/, '.ts');

/** Every `node <entry>` the image is started with: compose, k8s, the Dockerfile's CMD, README's operator CLIs. */
function imageEntries(): string[] {
  const compose = parse(read('docker-compose.yaml'), { merge: true }).services as Record<
    string,
    { command?: string[] }
  >;
  const k8s = ['k8s', 'k8s/split'].flatMap((dir) => renderKustomization(path.join(REPO_ROOT, dir)));
  const pods = k8s.filter((d) => d?.kind === 'Deployment').map((d) => d.spec.template.spec);
  const commands = [
    ...Object.values(compose).map((s) => s.command),
    ...pods.flatMap((pod) =>
      [...pod.containers, ...(pod.initContainers ?? [])].map((c: { command: string[] }) => c.command),
    ),
    JSON.parse(
      dockerfile
        .split('\n')
        .find((line) => line.startsWith('CMD '))!
        .slice(4),
    ),
  ].filter(Boolean) as string[][];
  return [...new Set(commands.map((command) => sourceOf(command[1]!)))];
}

const WORKSPACES: Record<string, string> = {
  '@asky/shared': 'packages/shared/src/index.ts',
  '@asky/auth': 'subgraphs/auth/src/index.ts',
  '@asky/pyxis': 'subgraphs/pyxis/src/index.ts',
  '@asky/request': 'subgraphs/request/src/index.ts',
  '@asky/supergraph': 'supergraph/src/index.ts',
  '@asky/launcher': 'packages/launcher/src/index.ts',
  '@asky/testing': 'packages/testing/src/index.ts',
};
const workspaceEntry = (name: string) => {
  const exports = JSON.parse(read(`${path.dirname(path.dirname(WORKSPACES[name]!))}/package.json`)).exports['.']
    .typescript as string;
  return path.join(path.dirname(path.dirname(WORKSPACES[name]!)), exports);
};

/** The modules loaded from `entries` (repository-relative), and the packages they import. */
function loadedFrom(entries: string[]): { modules: Set<string>; packages: [name: string, importer: string][] } {
  const modules = new Set<string>();
  const packages: [string, string][] = [];
  const queue = [...entries];
  while (queue.length) {
    const file = path.normalize(queue.pop()!);
    if (modules.has(file)) continue;
    modules.add(file);
    // Type-only imports vanish when compiled; everything else is loaded at start or on demand.
    const source = read(file)
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const specifiers = [
      ...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms),
      ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
      ...source.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1]!);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) {
        const base = path.join(path.dirname(file), specifier).replace(/\.(js|ts)$/, '');
        const resolved = [`${base}.ts`, `${base}/index.ts`].find((candidate) =>
          existsSync(path.join(REPO_ROOT, candidate)),
        );
        if (resolved) queue.push(resolved); // else a JSON or generated file: no imports to follow
      } else if (specifier.startsWith('node:')) continue;
      else {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        if (WORKSPACES[name]) queue.push(workspaceEntry(name));
        else packages.push([name, file]);
      }
    }
  }
  return { modules, packages };
}

type LockEntry = { dev?: boolean; optional?: boolean; devOptional?: boolean };
const lock = JSON.parse(read('package-lock.json')).packages as Record<string, LockEntry>;
const prunedEntry = (entry: LockEntry | undefined) => !!entry && !!(entry.dev || entry.optional || entry.devOptional);

/** Whether `npm prune --omit=dev --omit=optional` removes the copy of `name` that `importer` loads (lockfile flags). */
function pruned(name: string, importer: string): boolean {
  // Node looks in the importer's workspace first (`subgraphs/pyxis/`, `supergraph/`), then at the root.
  const parts = importer.split('/');
  const nearest = [2, 1].map((n) => lock[`${parts.slice(0, n).join('/')}/node_modules/${name}`]).find(Boolean);
  return prunedEntry(nearest ?? lock[`node_modules/${name}`]);
}

describe('the runtime image', () => {
  const entries = imageEntries();
  const { modules, packages } = loadedFrom(entries);

  it('is pruned of dev and optional packages: no prisma CLI, typescript or PGlite', () => {
    expect(buildLine).toMatch(/npm prune --omit=dev --omit=optional/);
    for (const name of ['prisma', 'typescript', '@electric-sql/pglite', 'pglite-prisma-adapter', 'tsx', 'jest'])
      expect([name, pruned(name, 'packages/launcher')]).toEqual([name, true]);
  });

  it('runs the services and the migration from it', () => {
    expect(entries.sort()).toEqual(
      [
        'packages/launcher/src/migrate.ts',
        'packages/launcher/src/replica.ts',
        'subgraphs/auth/src/index.ts',
        'subgraphs/pyxis/src/index.ts',
        'subgraphs/request/src/index.ts',
        'supergraph/src/index.ts',
      ].sort(),
    );
  });

  it('imports, from those entries, only packages the prune keeps', () => {
    const missing = packages
      .filter(([name, by]) => pruned(name, by))
      .map(([name, by]) => `${name} (imported by ${by})`);
    expect(missing).toEqual([]);
  });

  it('deletes the compiled tests and the test harness, none of which those entries load', () => {
    const deleted = /rm -rf ([^&]+)/.exec(buildLine)?.[1]?.trim().split(/\s+/) ?? [];
    expect(deleted).toEqual(
      expect.arrayContaining([
        'packages/testing/dist',
        'packages/e2e/dist',
        'packages/shared/dist/__tests__',
        'supergraph/dist/src/__tests__',
      ]),
    );
    const deletedSources = deleted.flatMap((pattern) => {
      const source = pattern
        .replace(/\/dist$/, '')
        .replace('/dist/src/', '/src/')
        .replace('/dist/', '/')
        .replace(/\.\*$/, '.ts');
      return source.includes('*') ? [] : [source];
    });
    for (const source of deletedSources)
      expect([...modules].filter((m) => m === source || m.startsWith(`${source}/`))).toEqual([]);
    // Every test file is under a deleted folder.
    for (const module of modules) expect(module).not.toMatch(/\.test\.ts$|__tests__|\/test\//);
  });
});
