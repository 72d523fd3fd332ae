import { readFileSync } from 'node:fs';

/** The composed supergraph, checked in beside this package's package.json. */
export const SUPERGRAPH_PATH = require.resolve('@asky/supergraph/supergraph.graphql');

export const readSupergraphSdl = (): string => readFileSync(SUPERGRAPH_PATH, 'utf8');
