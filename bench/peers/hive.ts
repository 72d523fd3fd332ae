/**
 * The peer Hive Gateway (@graphql-hive/gateway's runtime) on the same
 * supergraph, forwarding the Authorization header. PORT, SUPERGRAPH_FILE.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';

const gateway = createGatewayRuntime({
  supergraph: readFileSync(process.env.SUPERGRAPH_FILE!, 'utf8'),
  logging: process.env.HIVE_LOG === '1' ? 'debug' : false,
  maskedErrors: process.env.HIVE_LOG !== '1',
  propagateHeaders: {
    // Served by node:http, the client's request is the Node one (headers as an object).
    fromClientToSubgraphs: ({ request, context }) => {
      const headers = (request as { headers?: unknown } | undefined)?.headers ?? (context as { req?: { headers?: unknown } })?.req?.headers;
      const value = headers instanceof Headers ? headers.get('authorization') : (headers as Record<string, string> | undefined)?.authorization;
      return { authorization: value ?? '' };
    },
  },
});
const server = createServer(gateway);
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
