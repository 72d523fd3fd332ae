/**
 * The peer "plain @apollo/gateway with defaults": Apollo Server's standalone
 * server over ApolloGateway, forwarding only the Authorization header the
 * subgraphs need. PORT, SUPERGRAPH_FILE (subgraph URLs already pointing at the
 * bench's subgraphs).
 */
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';

interface Context {
  authorization?: string;
}

async function main() {
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(process.env.SUPERGRAPH_FILE!, 'utf8'),
    buildService: ({ url }) =>
      new (class extends RemoteGraphQLDataSource<Context> {
        override willSendRequest({
          request,
          context,
        }: {
          request: { http?: { headers: { set(k: string, v: string): void } } };
          context: Context;
        }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        }
      })({ url }),
  });
  const server = new ApolloServer<Context>({ gateway });
  await startStandaloneServer(server, {
    listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

void main();
