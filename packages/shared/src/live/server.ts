/**
 * Asky's live endpoint rules (the gateway's graphql-ws). A connection is a person's: its token is checked
 * at connect, its account is asked (`account`) at connect and every
 * `accountRecheckMs` — deactivated, re-roled or re-united, its sockets close —,
 * the socket closes when the token expires, and the same limits hold per
 * connection and per person. What a subscription yields is the caller's.
 */
import type http from 'node:http';
import {
  GraphQLError,
  specifiedRules,
  subscribe,
  validate,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TokenClaims, TokenVerifier } from '../auth';
import { DEFAULT_LIVE_LIMITS, type LiveLimits } from '../config';
import type { OperationGuard } from '../limits';
import { processMetrics } from '../metrics';
import { LIVE_CLOSE } from './closeCodes';
import { readsAlike, type Subscriber } from './filter';

/** One open, accepted connection: whose it is and what runs on it. */
export interface LiveConnection<A extends Subscriber = Subscriber> {
  readonly socket: WebSocket;
  readonly authorization: string;
  readonly claims: TokenClaims;
  /** The account as last checked. */
  readonly account: A;
  /** Ids of its subscriptions, from subscribe until completed or failed. */
  readonly subscriptions: Set<string>;
}

export interface LiveServerOptions<A extends Subscriber> {
  readonly server: http.Server;
  /** The live schema (a function when it follows a changing supergraph). */
  readonly schema: GraphQLSchema | (() => GraphQLSchema);
  readonly verifier: TokenVerifier;
  /** The person's account now: null when it may not subscribe (deactivated, unknown, owing a password change); throws when it cannot be checked now. */
  account(authorization: string): Promise<A | null>;
  /** The same operation limits as over HTTP. */
  readonly guard?: OperationGuard;
  readonly limits?: Partial<LiveLimits>;
  /** Runs a validated, priced subscription (default: graphql's `subscribe`). */
  subscribe?(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** What resolvers get as context. */
  context(connection: LiveConnection<A>, request: http.IncomingMessage): object;
  /** Told as subscriptions start and end and accepted connections close (tests wait on it instead of sleeping). */
  readonly onSignal?: (signal: LiveSignal) => void;
}

/** What a live endpoint tells of as it happens. */
export type LiveSignal = 'subscribed' | 'subscription ended' | 'connection closed';

const tooMany = (message: string) => [new GraphQLError(message, { extensions: { code: 'TOO_MANY_REQUESTS' } })];

/** A subscriber that stopped reading: closed with Asky's own code (graphql-ws' client retries it, then refetches). */
export function closeSlowReader(socket: WebSocket): void {
  processMetrics.liveDropped.inc();
  socket.close(LIVE_CLOSE.TOO_SLOW, 'Too slow: not reading updates');
}

export function serveLive<A extends Subscriber>(options: LiveServerOptions<A>): { stop(): Promise<void> } {
  const limits = { ...DEFAULT_LIVE_LIMITS, ...options.limits };
  const wss = new WebSocketServer({ server: options.server, path: '/graphql' });
  const connections = new Map<object, LiveConnection<A> & { expiry?: NodeJS.Timeout }>();
  /** Each person's open connections and running subscriptions, kept as they change: a connect or subscribe costs no scan. */
  const people = new Map<string, { connections: Set<LiveConnection<A>>; subscriptions: number }>();
  const personOf = (sub: string) => {
    let person = people.get(sub);
    if (!person) people.set(sub, (person = { connections: new Set(), subscriptions: 0 }));
    return person;
  };
  /** Forgets one of a connection's subscriptions, once, in its person's count too. */
  const release = (connection: LiveConnection<A> | undefined, id: string) => {
    if (connection?.subscriptions.delete(id)) personOf(connection.claims.sub).subscriptions--;
  };
  /** Forgets a closed connection, once: its subscriptions, its slot in its person's count. */
  const forget = (key: object) => {
    const connection = connections.get(key);
    if (!connection) return;
    clearTimeout(connection.expiry);
    connections.delete(key);
    for (const id of [...connection.subscriptions]) release(connection, id);
    const person = personOf(connection.claims.sub);
    person.connections.delete(connection);
    if (!person.connections.size) people.delete(connection.claims.sub);
    processMetrics.liveConnections.dec();
    options.onSignal?.('connection closed');
  };
  const cleanup = useServer(
    {
      schema: typeof options.schema === 'function' ? (options.schema as () => GraphQLSchema) : options.schema,
      validate: (schema, document) =>
        validate(schema, document, [...specifiedRules, ...(options.guard?.validationRules ?? [])]),
      // The document graphql-ws parsed and validated, priced before it subscribes.
      subscribe: (args) =>
        options.guard?.costRefusal({
          schema: args.schema,
          document: args.document,
          variables: args.variableValues,
          operationName: args.operationName,
        }) ?? (options.subscribe ?? subscribe)(args),
      onConnect: async (ctx) => {
        const fromInit = ctx.connectionParams?.authorization;
        const authorization = typeof fromInit === 'string' ? fromInit : undefined;
        const claims = authorization
          ? await options.verifier.verifyHeader(authorization).catch(() => undefined)
          : undefined;
        if (!claims || !authorization) {
          ctx.extra.socket.close(LIVE_CLOSE.UNAUTHORIZED, 'Unauthorized');
          return false;
        }
        if (claims.typ !== 'user') return false; // 4403: live updates are for people
        const account = await options.account(authorization).catch(() => undefined);
        if (account === undefined) {
          ctx.extra.socket.close(LIVE_CLOSE.TRY_AGAIN_LATER, 'The account cannot be checked now: try again');
          return false;
        }
        if (!account) {
          ctx.extra.socket.close(LIVE_CLOSE.FORBIDDEN, 'This account may not subscribe');
          return false;
        }
        // Closed while its token and account were checked: nothing to count (or it would hold a slot for good).
        if (ctx.extra.socket.readyState !== ctx.extra.socket.OPEN) return false;
        if ((people.get(claims.sub)?.connections.size ?? 0) >= limits.connectionsPerUser) {
          ctx.extra.socket.close(LIVE_CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections');
          return false;
        }
        const expiry = setTimeout(
          () => ctx.extra.socket.close(LIVE_CLOSE.UNAUTHORIZED, 'Token expired'),
          claims.exp * 1000 - Date.now(),
        );
        const connection = {
          socket: ctx.extra.socket,
          authorization,
          claims,
          account,
          subscriptions: new Set<string>(),
          expiry,
        };
        connections.set(ctx.extra, connection);
        personOf(claims.sub).connections.add(connection);
        processMetrics.liveConnections.inc();
        // The socket's own event, whatever graphql-ws tells of a socket it had not acknowledged yet.
        ctx.extra.socket.once('close', () => forget(ctx.extra));
        return true;
      },
      onSubscribe: (ctx, id) => {
        const connection = connections.get(ctx.extra)!;
        if (connection.subscriptions.size >= limits.subscriptionsPerConnection)
          return tooMany(`At most ${limits.subscriptionsPerConnection} subscriptions per connection`);
        const person = personOf(connection.claims.sub);
        if (person.subscriptions >= limits.subscriptionsPerUser)
          return tooMany(`At most ${limits.subscriptionsPerUser} subscriptions per user across connections`);
        connection.subscriptions.add(id);
        person.subscriptions++;
      },
      onOperation: () => {
        processMetrics.liveSubscriptions.inc(); // every running operation ends with onComplete
        options.onSignal?.('subscribed');
      },
      onError: (ctx, id) => release(connections.get(ctx.extra), id), // refused before running
      onComplete: (ctx, id) => {
        release(connections.get(ctx.extra), id);
        processMetrics.liveSubscriptions.dec();
        options.onSignal?.('subscription ended');
      },
      onClose: (ctx) => forget(ctx.extra),
      context: (ctx) => options.context(connections.get(ctx.extra)!, ctx.extra.request),
    },
    wss,
    // graphql-ws' keep-alive: a ping every period; a peer that does not answer within one is cut.
    limits.keepAliveMs,
  );

  /** Each subscribing person's account, once per period and person: closed when it no longer reads as it did. */
  const recheck = async () => {
    await Promise.all(
      [...people.values()].map(async ({ connections: ofPerson }) => {
        const first = ofPerson.values().next().value;
        if (!first) return;
        const account = await options.account(first.authorization).catch(() => undefined); // cannot check: keep what we know
        if (account === undefined) return;
        for (const c of ofPerson) {
          if (!account || !readsAlike(c.account, account))
            c.socket.close(
              LIVE_CLOSE.FORBIDDEN,
              account ? 'The role or units changed: reconnect' : 'This account is no longer active',
            );
        }
      }),
    );
  };
  let rechecking = false;
  const rechecker = setInterval(
    () => {
      if (rechecking) return;
      rechecking = true;
      void recheck().finally(() => (rechecking = false));
    },
    Math.max(250, limits.accountRecheckMs),
  ).unref();

  return {
    async stop() {
      clearInterval(rechecker);
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
