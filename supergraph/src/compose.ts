/**
 * Composes the subgraphs' SDL into `supergraph/supergraph.graphql` (`npm run
 * compose`), and the same into `k8s/supergraph.graphql` (kustomize reads files
 * only below its own folder). The gateway serves that checked-in file, so what
 * runs is what was reviewed; a test fails when either is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { DEFAULT_PORTS, loadTypeDefs, SUBGRAPHS } from '@asky/shared';
import { SUPERGRAPH_PATH } from './supergraphFile';

/** Where the Kubernetes manifests take the supergraph ConfigMap from. */
export const K8S_SUPERGRAPH_PATH = path.join(path.dirname(SUPERGRAPH_PATH), '..', 'k8s', 'supergraph.graphql');

export interface Composition {
  readonly supergraphSdl: string;
  /** What composition warns about, as `code: message`. */
  readonly hints: readonly string[];
}

/** Composes the three subgraphs as they are in the work tree; throws on errors. */
export function composeSupergraph(): Composition {
  const result = composeServices(
    SUBGRAPHS.map((name) => ({
      name,
      url: `http://localhost:${DEFAULT_PORTS[name]}/graphql`,
      typeDefs: loadTypeDefs(`@asky/${name}`),
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return {
    supergraphSdl: `${result.supergraphSdl.trimEnd()}\n`,
    hints: result.hints.map((hint) => `${hint.definition.code}: ${hint.message}`),
  };
}

if (require.main === module) {
  const { supergraphSdl, hints } = composeSupergraph();
  for (const hint of hints) process.stderr.write(`hint ${hint}\n`);
  for (const file of [SUPERGRAPH_PATH, K8S_SUPERGRAPH_PATH]) {
    writeFileSync(file, supergraphSdl);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
