/**
 * Subscriptions served by a subgraph itself, over graphql-ws on its `/graphql`:
 * what Apollo Router's passthrough mode connects to. (Asky's own gateway serves
 * subscriptions to clients itself and does not come here.) The connection's
 * `authorization` — from `connection_init`, else the upgrade request — is checked
 * as every HTTP request is.
 */
import type http from 'node:http';
import { specifiedRules, subscribe, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Viewer } from '../auth';
import type { OperationGuard } from '../limits';

export interface SubgraphSubscriptionOptions {
  readonly server: http.Server;
  readonly schema: GraphQLSchema;
  /** The same operation limits as over HTTP. */
  readonly guard: OperationGuard;
  /** The viewer an `Authorization` header value stands for; throws when invalid. */
  authenticate(authorization: string | undefined): Promise<Viewer | null>;
  /** The context subscriptions run with (the subgraph's own). */
  context(viewer: Viewer, request: http.IncomingMessage): object;
}

export function serveSubgraphSubscriptions(options: SubgraphSubscriptionOptions): { stop(): Promise<void> } {
  const wss = new WebSocketServer({ server: options.server, path: '/graphql' });
  const viewers = new WeakMap<object, Viewer>();
  const cleanup = useServer(
    {
      schema: options.schema,
      validate: (schema, document) => validate(schema, document, [...specifiedRules, ...options.guard.validationRules]),
      // The document graphql-ws parsed and validated, priced before it subscribes.
      subscribe: (args) =>
        options.guard.costRefusal({ schema: args.schema, document: args.document, variables: args.variableValues, operationName: args.operationName }) ?? subscribe(args),
      onConnect: async (ctx) => {
        const fromInit = ctx.connectionParams?.authorization;
        const authorization = typeof fromInit === 'string' ? fromInit : ctx.extra.request.headers.authorization;
        const viewer = await options.authenticate(authorization).catch(() => null);
        if (!viewer) {
          ctx.extra.socket.close(4401, 'Unauthorized');
          return false;
        }
        viewers.set(ctx.extra, viewer);
        return true;
      },
      context: (ctx) => options.context(viewers.get(ctx.extra)!, ctx.extra.request),
    },
    wss,
  );
  return {
    async stop() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
