/**
 * A kustomization's objects, as the deployment tests read them: rendered by
 * `kubectl kustomize` where kubectl is installed; without it, the files its
 * resources list (bases followed) and the ConfigMaps its generators make
 * (literals and files, a base's merged with an overlay's; no hash suffix, and
 * no namespace or labels).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

// Manifests are untyped YAML: the tests check their shape.
export type Manifest = any;

export const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export function renderKustomization(dir: string): Manifest[] {
  const rendered = hasKubectl ? execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }) : undefined;
  if (rendered)
    return parseAllDocuments(rendered)
      .map((d) => d.toJS())
      .filter(Boolean);
  const { objects, configMaps } = readKustomization(dir);
  return [
    ...objects,
    ...[...configMaps].map(([name, data]) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data })),
  ];
}

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  files?: string[];
}

function readKustomization(dir: string): { objects: Manifest[]; configMaps: Map<string, Record<string, string>> } {
  const kustomization = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8')) as {
    resources?: string[];
    configMapGenerator?: Generator[];
  };
  const objects: Manifest[] = [];
  const configMaps = new Map<string, Record<string, string>>();
  for (const resource of kustomization.resources ?? []) {
    const file = path.join(dir, resource);
    if (statSync(file).isDirectory()) {
      const base = readKustomization(file);
      objects.push(...base.objects);
      for (const [name, data] of base.configMaps) configMaps.set(name, data);
    } else
      objects.push(
        ...parseAllDocuments(readFileSync(file, 'utf8'))
          .map((d) => d.toJS())
          .filter(Boolean),
      );
  }
  for (const generator of kustomization.configMapGenerator ?? []) {
    const data: Record<string, string> = generator.behavior === 'merge' ? { ...configMaps.get(generator.name) } : {};
    for (const literal of generator.literals ?? []) {
      const [key, value] = literal.split(/=(.*)/s);
      data[key!] = value!;
    }
    for (const file of generator.files ?? []) data[path.basename(file)] = readFileSync(path.join(dir, file), 'utf8');
    configMaps.set(generator.name, data);
  }
  return { objects, configMaps };
}
