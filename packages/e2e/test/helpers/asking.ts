/** A test system asked as a person: the answer as it comes (`gql`), or its data once it is known to carry no error (`ok`). */
import { hospitalToday } from '@asky/shared';
import type { TestSystem } from '@asky/testing';

export function askingAs(ctx: { readonly system: TestSystem }) {
  const gql = (token: string, query: string, variables: Record<string, unknown> = {}) =>
    ctx.system.graphql(query, variables, { token });
  const ok = async (token: string, query: string, variables: Record<string, unknown> = {}) => {
    const body = await gql(token, query, variables);
    expect(body.errors).toBeUndefined();
    return body.data;
  };
  return { gql, ok, idOf: async (token: string) => (await ok(token, '{ me { id } }')).me.id as string };
}

/**
 * The hospital's calendar day `days` from today (YYYY-MM-DD), as expiry is judged:
 * Postgres' `current_date` is the server's (UTC here), a day ahead of São Paulo's
 * from 21:00 to midnight UTC.
 */
export const hospitalDate = (days: number): string =>
  new Date(hospitalToday().getTime() + days * 864e5).toISOString().slice(0, 10);
