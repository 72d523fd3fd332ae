/**
 * Subscriptions served by a subgraph itself, over graphql-ws on its `/graphql`:
 * what Apollo Router's passthrough mode connects to. (Asky's own gateway serves
 * subscriptions to clients itself and does not come here.) The same rules as the
 * gateway's: the connection's `authorization` — from `connection_init`, else the
 * upgrade request — is checked as every HTTP request is, the socket closes when
 * the token expires (4403) and when the account is deactivated or re-roled
 * (4403, checked every `accountRecheckMs`), and the same limits hold per
 * connection and per person.
 */
import type http from 'node:http';
import { GraphQLError, specifiedRules, subscribe, validate, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Viewer } from '../auth';
import { DEFAULT_LIVE_LIMITS, type LiveLimits } from '../config';
import { ErrorCode, hasErrorCode } from '../errors';
import type { OperationGuard } from '../limits';
import { LIVE_CLOSE } from './closeCodes';
import { readsAlike } from './filter';

export interface SubgraphSubscriptionOptions {
  readonly server: http.Server;
  readonly schema: GraphQLSchema;
  /** The same operation limits as over HTTP. */
  readonly guard: OperationGuard;
  /** The viewer an `Authorization` header value stands for now; throws when invalid. */
  authenticate(authorization: string | undefined): Promise<Viewer | null>;
  /** When the token of an `Authorization` header value expires (ms since the epoch). */
  expiresAt(authorization: string): Promise<number>;
  /** The context subscriptions run with (the subgraph's own). */
  context(viewer: Viewer, request: http.IncomingMessage): object;
  readonly limits?: Partial<LiveLimits>;
}

interface Connection {
  readonly socket: WebSocket;
  readonly authorization: string;
  viewer: Extract<Viewer, { kind: 'user' }>;
  readonly subscriptions: Set<string>;
  expiry?: NodeJS.Timeout;
}

const refusal = (message: string) => [new GraphQLError(message, { extensions: { code: 'TOO_MANY_REQUESTS' } })];

export function serveSubgraphSubscriptions(options: SubgraphSubscriptionOptions): { stop(): Promise<void> } {
  const limits = { ...DEFAULT_LIVE_LIMITS, ...options.limits };
  const wss = new WebSocketServer({ server: options.server, path: '/graphql' });
  const connections = new Map<object, Connection>();
  const ofUser = (id: string) => [...connections.values()].filter((c) => c.viewer.id === id);
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
        const viewer = authorization ? await options.authenticate(authorization).catch(() => null) : null;
        if (!viewer || !authorization) {
          ctx.extra.socket.close(LIVE_CLOSE.UNAUTHORIZED, 'Unauthorized');
          return false;
        }
        if (viewer.kind !== 'user') return false; // 4403: live updates are for people
        if (ofUser(viewer.id).length >= limits.connectionsPerUser) {
          ctx.extra.socket.close(LIVE_CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections');
          return false;
        }
        const connection: Connection = { socket: ctx.extra.socket, authorization, viewer, subscriptions: new Set() };
        connections.set(ctx.extra, connection); // counted before anything else is awaited
        connection.expiry = setTimeout(() => ctx.extra.socket.close(LIVE_CLOSE.UNAUTHORIZED, 'Token expired'), (await options.expiresAt(authorization)) - Date.now());
        return true;
      },
      onSubscribe: (ctx, id) => {
        const connection = connections.get(ctx.extra)!;
        if (connection.subscriptions.size >= limits.subscriptionsPerConnection) return refusal(`At most ${limits.subscriptionsPerConnection} subscriptions per connection`);
        const ofPerson = ofUser(connection.viewer.id).reduce((n, c) => n + c.subscriptions.size, 0);
        if (ofPerson >= limits.subscriptionsPerUser) return refusal(`At most ${limits.subscriptionsPerUser} subscriptions per user across connections`);
        connection.subscriptions.add(id);
      },
      onError: (ctx, id) => void connections.get(ctx.extra)?.subscriptions.delete(id),
      onComplete: (ctx, id) => void connections.get(ctx.extra)?.subscriptions.delete(id),
      onClose: (ctx) => {
        clearTimeout(connections.get(ctx.extra)?.expiry);
        connections.delete(ctx.extra);
      },
      context: (ctx) => options.context(connections.get(ctx.extra)!.viewer, ctx.extra.request),
    },
    wss,
    limits.keepAliveMs, // graphql-ws' keep-alive, as at the gateway
  );
  /** Each connection's account again: closed when it is no longer active or its role changed. */
  const rechecker = setInterval(() => {
    for (const connection of connections.values()) {
      options.authenticate(connection.authorization).then(
        (now) => {
          if (now?.kind !== 'user' || !readsAlike(connection.viewer, now) || !now.scopes.has('person')) {
            connection.socket.close(LIVE_CLOSE.FORBIDDEN, now ? 'The role changed: reconnect' : 'This account is no longer active');
          }
        },
        (err: unknown) => {
          // Refused now (deactivated, unknown): closed. Auth away: keep what we know.
          if (hasErrorCode(err, ErrorCode.UNAUTHENTICATED)) connection.socket.close(LIVE_CLOSE.FORBIDDEN, 'This account is no longer active');
        },
      );
    }
  }, Math.max(250, limits.accountRecheckMs)).unref();
  return {
    async stop() {
      clearInterval(rechecker);
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
