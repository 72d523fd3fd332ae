/**
 * Composes the subgraphs' SDL into `supergraph/supergraph.graphql` (`npm run
 * compose`), and the same into `k8s/split/supergraph.graphql` (kustomize reads files
 * only below its own folder); and prints the API schema clients see (no
 * `join__`/`link__` machinery, nothing `@inaccessible`) into `schema.graphql`,
 * for client codegen and Sandbox users. The gateway serves that checked-in file, so what
 * runs is what was reviewed; a test fails when either is stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { printSchema } from 'graphql';
import { DEFAULT_PORTS, loadTypeDefs, SUBGRAPHS } from '@asky/shared';
import { SUPERGRAPH_PATH } from './supergraphFile';

/** The API schema, at the repository's root (where client tools look for it). */
export const API_SCHEMA_PATH = path.join(path.dirname(SUPERGRAPH_PATH), '..', 'schema.graphql');

/** Where the split topology's Kubernetes manifests take the supergraph ConfigMap from. */
export const K8S_SUPERGRAPH_PATH = path.join(path.dirname(SUPERGRAPH_PATH), '..', 'k8s', 'split', 'supergraph.graphql');

export interface Composition {
  readonly supergraphSdl: string;
  /** The schema clients query: the supergraph's API schema, printed. */
  readonly apiSchemaSdl: string;
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
    apiSchemaSdl: `# The API schema clients query, printed from the supergraph by \`npm run compose\` (do not edit).\n${printSchema(result.schema.toAPISchema().toGraphQLJSSchema()).trimEnd()}\n`,
    hints: result.hints.map((hint) => `${hint.definition.code}: ${hint.message}`),
  };
}

if (require.main === module) {
  const { supergraphSdl, apiSchemaSdl, hints } = composeSupergraph();
  for (const hint of hints) process.stderr.write(`hint ${hint}\n`);
  for (const [file, sdl] of [
    [SUPERGRAPH_PATH, supergraphSdl],
    [K8S_SUPERGRAPH_PATH, supergraphSdl],
    [API_SCHEMA_PATH, apiSchemaSdl],
  ] as const) {
    writeFileSync(file, sdl);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
}
