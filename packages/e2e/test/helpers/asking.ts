/** A test system asked as a person: the answer as it comes (`gql`), or its data once it is known to carry no error (`ok`). */
import type { TestSystem } from '@asky/testing';

export function askingAs(ctx: { readonly system: TestSystem }) {
  const gql = (token: string, query: string, variables: Record<string, unknown> = {}) => ctx.system.graphql(query, variables, { token });
  const ok = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const body = await gql(token, query, variables);
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  return { gql, ok, idOf: async (token: string) => (await ok(token, '{ me { id } }')).me.id as string };
}
