/**
 * The peer Hive Gateway (@graphql-hive/gateway's runtime) on the same
 * supergraph, forwarding the Authorization header. PORT, SUPERGRAPH_FILE;
 * HIVE_RUST_PLANNER=1 plans with Hive Router's Rust query planner
 * (@graphql-hive/router-runtime, a native addon shipped in the npm package).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

const gateway = createGatewayRuntime({
  ...(process.env.HIVE_RUST_PLANNER === '1' ? { unifiedGraphHandler } : {}),
  supergraph: readFileSync(process.env.SUPERGRAPH_FILE!, 'utf8'),
  logging: process.env.HIVE_LOG === '1' ? 'debug' : false,
  maskedErrors: process.env.HIVE_LOG !== '1',
  propagateHeaders: {
    // Served by node:http, the client's request is the Node one (headers as an object).
    fromClientToSubgraphs: ({ request, context }) => {
      const headers =
        (request as { headers?: unknown } | undefined)?.headers ??
        (context as { req?: { headers?: unknown } })?.req?.headers;
      // A Fetch Headers (from whichever implementation) or Node's plain object.
      const value =
        typeof (headers as Headers | undefined)?.get === 'function'
          ? (headers as Headers).get('authorization')
          : (headers as Record<string, string> | undefined)?.authorization;
      return { authorization: value ?? '' };
    },
  },
});
const server = createServer((req, res) => void gateway(req, res));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
