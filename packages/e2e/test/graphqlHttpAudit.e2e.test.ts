/**
 * The GraphQL over HTTP spec, as graphql-http's audit reads it, at the gateway in
 * development and production, beside stock Apollo Server (same version, its
 * defaults for that mode): Asky gets no warning or error stock does not. Stock
 * gets three SHOULD warnings everywhere ("use 200 with application/json on a
 * failed document": Apollo answers 400 by design), and in production two MUST
 * audits fail and one more SHOULD warns, for both, because they query `__type`
 * and production refuses introspection. Counts are asserted so a regression shows.
 */
import { serverAudits, type AuditResult } from 'graphql-http';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { startTestSystem } from '@asky/testing';

const audit = async (url: string): Promise<AuditResult[]> =>
  Promise.all(serverAudits({ url, fetchFn: fetch }).map((check) => check.fn()));

const tally = (results: AuditResult[]) => {
  const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
  for (const result of results) counts[result.status]++;
  return counts;
};
const failing = (results: AuditResult[], status: AuditResult['status']) =>
  results
    .filter((r) => r.status === status)
    .map((r) => `${r.id} ${r.name}`)
    .sort();

/** Stock Apollo Server as it runs in that mode: introspection is what NODE_ENV=production turns off. */
async function auditStock(production: boolean): Promise<AuditResult[]> {
  const server = new ApolloServer({ typeDefs: 'type Query { hello: String }', introspection: !production });
  const { url } = await startStandaloneServer(server, { listen: { port: 0 } });
  try {
    return await audit(url);
  } finally {
    await server.stop();
  }
}

describe.each([
  ['development', false, { ok: 55, notice: 3, warn: 3, error: 0 }],
  ['production', true, { ok: 52, notice: 3, warn: 4, error: 2 }],
])('graphql-http audit of the gateway in %s', (_mode, production, counts) => {
  it('finds nothing that stock Apollo Server does not', async () => {
    const system = await startTestSystem({ production });
    try {
      const [asky, stock] = [await audit(system.gatewayUrl), await auditStock(production)];
      expect(failing(asky, 'error')).toEqual(failing(stock, 'error'));
      expect(failing(asky, 'warn')).toEqual(failing(stock, 'warn'));
      expect(tally(asky)).toEqual(counts);
      expect(tally(stock)).toEqual(counts);
      // The three "use 200" SHOULDs, and the three audits that ask `__type` (introspection is off).
      if (production)
        expect([...failing(asky, 'error'), ...failing(asky, 'warn')].map((f) => f.slice(0, 4)).sort()).toEqual([
          '28B9',
          '2EA1',
          '572B',
          '7B9B',
          'BF61',
          'FDE2',
        ]);
    } finally {
      await system.stop();
    }
  }, 120_000);
});
