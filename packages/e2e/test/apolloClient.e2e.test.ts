/**
 * A front-end's live connection as README shows it: Apollo Client 4
 * with graphql-ws, `connectionParams` a function returning a fresh token. When
 * the access token expires the gateway closes the socket (4403) and the client
 * reconnects by itself with a new token; updates keep coming.
 */
import { ApolloClient, gql, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { MOCK_USERS, useTestSystem } from '@asky/testing';
import { eventually } from './helpers/cabinet';

const ctx = useTestSystem({ accessTokenTtlSeconds: 15 });

/** The front-end's session: a login, then refresh-token renewals when the access token is old. */
function session() {
  let current: { token: string; refresh: string; at: number } | undefined;
  const auth = async (query: string, variables: Record<string, string>) => {
    const body = await ctx.system.graphql(query, variables);
    const payload = body.data.login ?? body.data.refreshToken;
    current = { token: payload.accessToken, refresh: payload.refreshToken, at: Date.now() };
    return current.token;
  };
  return async function freshAccessToken(): Promise<string> {
    if (!current)
      return auth(
        'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }',
        { e: MOCK_USERS.pharmacist[0], p: MOCK_USERS.pharmacist[1] },
      );
    if (Date.now() - current.at < 10_000) return current.token;
    return auth('mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }', {
      t: current.refresh,
    });
  };
}

it('keeps an Apollo Client subscription alive across token expiry, reconnecting with a fresh token', async () => {
  const freshAccessToken = session();
  let connections = 0;
  // As in README: what a browser app does (webSocketImpl only because this is Node).
  const link = new GraphQLWsLink(
    createClient({
      url: ctx.system.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: async () => ({ authorization: `Bearer ${await freshAccessToken()}` }),
      shouldRetry: () => true,
      retryAttempts: Infinity,
      on: { connected: () => connections++ },
    }),
  );
  const client = new ApolloClient({ link, cache: new InMemoryCache() });
  const seen: string[] = [];
  const subscription = client
    .subscribe({
      query: gql`
        subscription {
          requestStatusChanged {
            status
            request {
              id
            }
          }
        }
      `,
    })
    .subscribe({
      next: (result) =>
        result.data &&
        seen.push(
          (result.data as { requestStatusChanged: { request: { id: string } } }).requestStatusChanged.request.id,
        ),
    });
  const create = async () => {
    const body = await ctx.system.graphql(
      'mutation { createRequest(input: { kind: MEDICINE, medicineId: "22222222-2222-4222-8222-000000000002", dispenserId: "44444444-4444-4444-8444-000000000001", quantity: 1 }) { id } }',
      {},
      { token: await ctx.system.login(...MOCK_USERS.nurse) },
    );
    return body.data.createRequest.id as string;
  };
  const until = (done: () => boolean, ms: number) =>
    eventually(
      async () => done(),
      (ok) => ok,
      ms,
    );
  try {
    // Subscribed for sure once one creation arrives.
    let first = '';
    for (let i = 0; i < 50 && !seen.length; i++) {
      first = await create();
      await until(() => seen.includes(first), 200);
    }
    expect(seen).toContain(first);
    // Past the first token's 15 s: the gateway closed the socket, the client came back with a new token.
    await until(() => connections >= 2, 30_000);
    expect(connections).toBeGreaterThanOrEqual(2);
    const later = await create();
    await until(() => seen.includes(later), 15_000);
    expect(seen).toContain(later);
  } finally {
    subscription.unsubscribe();
    await client.clearStore().catch(() => undefined);
  }
}, 90_000);
