/**
 * The peer Grafbase Gateway, a Rust federation gateway: the Grafbase CLI's
 * binary from the npm package `@grafbase/cli-x86_64-unknown-linux-musl` (an
 * optional dependency, installed where the platform matches). `grafbase dev`
 * composes the supergraph itself from each subgraph's `schema.graphql` and URL,
 * and forwards the caller's `authorization` to every subgraph.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { parse, print, visit } from 'graphql';
import { SUBGRAPHS } from '@asky/shared';
import type { TestSystem } from '@asky/testing';
import { answersGraphQL, startBinary } from '../lib';

const PACKAGE = '@grafbase/cli-x86_64-unknown-linux-musl';

/** The binary, or why there is none here. */
export function grafbaseBinary(): { file: string } | { missing: string } {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { missing: `${PACKAGE} ships for linux x64 only (this is ${process.platform} ${process.arch})` };
  let file: string;
  try {
    file = path.join(path.dirname(require.resolve(`${PACKAGE}/package.json`)), 'grafbase');
  } catch {
    return { missing: `${PACKAGE} is not installed (an optional dependency: npm install skipped it)` };
  }
  return existsSync(file) ? { file } : { missing: `${file} is missing` };
}

/**
 * A subgraph's SDL without its @inaccessible fields (service-only, outside the
 * API): Grafbase 0.103's composition refuses a field's required argument of an
 * @inaccessible type even when the field is @inaccessible too, which Apollo's allows.
 */
function withoutInaccessibleFields(sdl: string): string {
  return print(
    visit(parse(sdl), {
      FieldDefinition: (field) => (field.directives?.some((d) => d.name.value === 'inaccessible') ? null : undefined),
    }),
  );
}

export function startGrafbase(file: string, system: TestSystem, port: number): Promise<ChildProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'asky-bench-grafbase-'));
  const root = path.join(__dirname, '../..');
  const subgraphs = SUBGRAPHS.map((name) => {
    const schema = path.join(dir, `${name}.graphql`);
    writeFileSync(
      schema,
      withoutInaccessibleFields(readFileSync(path.join(root, 'subgraphs', name, 'schema.graphql'), 'utf8')),
    );
    return `[subgraphs.${name}]\nurl = "${system.subgraphUrls[name]}"\nschema_path = "${schema}"\n`;
  });
  writeFileSync(
    path.join(dir, 'grafbase.toml'),
    `${subgraphs.join('\n')}\n[[headers]]\nrule = "forward"\nname = "authorization"\n`,
  );
  return startBinary(
    file,
    ['dev', '-c', path.join(dir, 'grafbase.toml'), '-p', String(port)],
    {},
    answersGraphQL(`http://127.0.0.1:${port}/graphql`),
  );
}
