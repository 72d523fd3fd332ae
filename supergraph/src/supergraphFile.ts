import { readFileSync } from 'node:fs';
import { ConfigError } from '@asky/shared';

/** The composed supergraph, checked in beside this package's package.json. */
export const SUPERGRAPH_PATH = require.resolve('@asky/supergraph/supergraph.graphql');

export const readSupergraphSdl = (): string => readFileSync(SUPERGRAPH_PATH, 'utf8');

/** A supergraph file named by `SUPERGRAPH_PATH`; unreadable is a configuration error. */
export function readSupergraphFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `SUPERGRAPH_PATH=${file} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
}
