/**
 * Live updates: graphql-ws on the gateway's own port and path. `stockChanged`
 * subscribers get pyxis' stock events as they are (see ./stock). Each
 * `requestStatusChanged` subscriber gets the events (from RabbitMQ, through the
 * hub) it may see, with the fields it selected on the request resolved through
 * the supergraph with its own authorization — once per event and distinct
 * selection (and visibility), shared by every subscriber asking the same.
 * Who may see an event is the rule of `request(id)` (`mayReadRequest`) applied to
 * the subscriber's current account: checked at connect and every
 * `accountRecheckMs`; a deactivated or re-roled account's sockets are closed.
 */
import { LRUCache } from 'lru-cache';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { ApolloGateway } from '@apollo/gateway';
import { createSourceEventStream, execute, GraphQLError, print, specifiedRules, validate, type ExecutionArgs, type ExecutionResult, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  DEFAULT_LIVE_LIMITS,
  ErrorCode,
  hasErrorCode,
  LIVE_CLOSE,
  processMetrics,
  LiveHub,
  liveStream,
  REQUEST_EVENTS,
  STOCK_EVENTS,
  mapStream,
  requestReaderGroup,
  readsAlike,
  wantsEvent,
  type EventBus,
  type LiveLimits,
  type Logger,
  type OperationGuard,
  type RequestEvent,
  type RequestSubscriptionArgs,
  type StockEvent,
  type Subscriber,
  type TokenClaims,
  type TokenVerifier,
} from '@asky/shared';
import { buildLiveSchema } from './schema';
import { AccountChecks } from './accounts';
import { buildFollowUp, VISIBILITY_KEY, type FollowUp } from './followUp';
import { stockChangeOf, wantsStockChange, type StockSubscriptionArgs } from './stock';

export type { LiveLimits };

export interface LiveDeps {
  readonly apollo: ApolloServer<{ authorization?: string; clientAddress?: string; fresh?: boolean }>;
  /** The API schema as the gateway last loaded it (see `trackApiSchema`). */
  readonly apiSchema: () => GraphQLSchema | undefined;
  readonly server: http.Server;
  readonly bus: EventBus;
  readonly verifier: TokenVerifier;
  /** auth's GraphQL URL: where subscribers' accounts are checked. */
  readonly authUrl: string;
  readonly logger: Logger;
  readonly limits?: Partial<LiveLimits>;
  /** The gateway's operation limits, which subscription documents must pass too. */
  readonly guard?: OperationGuard;
  /** Told of every request event as it arrives, before any subscriber. */
  readonly onEvent?: (event: RequestEvent) => void;
  /** Told each time a subscription starts running (tests wait on it instead of sleeping). */
  readonly onSubscribed?: () => void;
}

interface Extra extends Record<PropertyKey, unknown> {
  socket: WebSocket;
  authorization?: string;
  claims?: TokenClaims;
  /** Who the connection is: only people subscribe. */
  subscriber?: Subscriber;
  /** Ids of this connection's subscriptions, from subscribe until completed or failed. */
  subscriptions?: Set<string>;
  expiry?: NodeJS.Timeout;
}

const subscriptionsOf = (extra: Extra): Set<string> => (extra.subscriptions ??= new Set());


/** Subscription payloads are keyed by response key (aliases), as executed results are. */
const byResponseKey: GraphQLFieldResolver<Record<string, unknown> | null, unknown> = (source, _args, _ctx, info) =>
  source?.[info.path.key as string];

/** A follow-up's query and variables as one key, computed once per subscription. */
const selectionKey = (followUp: FollowUp) => `${followUp.query}|${JSON.stringify(followUp.variables)}`;

/** Subscribers whose follow-up results for `event` are the same: who they are to it, same selection. */
const groupOf = (subscriber: Subscriber, event: RequestEvent, selection: string) => `${requestReaderGroup(subscriber, event)}|${selection}`;

/** A follow-up refused for the account that ran it (not for the request): another subscriber must run its own. */
const refusedTheRunner = (errors: readonly unknown[] | undefined) =>
  !!errors?.some((e) => hasErrorCode(e, ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN));

/** Follows the gateway's API schema; register before the gateway loads. */
export function trackApiSchema(gateway: ApolloGateway): () => GraphQLSchema | undefined {
  let current: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => (current = apiSchema));
  return () => current;
}

export async function startLive(deps: LiveDeps): Promise<{ stop(): Promise<void> }> {
  const limits = { ...DEFAULT_LIVE_LIMITS, ...deps.limits };
  const hub = new LiveHub(deps.bus, deps.logger, REQUEST_EVENTS);
  if (deps.onEvent) hub.listen(deps.onEvent);
  await hub.start();
  const stockHub = new LiveHub(deps.bus, deps.logger, STOCK_EVENTS);
  await stockHub.start();
  /** Each stock event's payload, one object for every subscriber (so its presentation is shared too). */
  const stockPayloads = new WeakMap<StockEvent, Record<string, unknown>>();
  const stockPayload = (event: StockEvent) => {
    let payload = stockPayloads.get(event);
    if (!payload) stockPayloads.set(event, (payload = stockChangeOf(event)));
    return payload;
  };
  /** Payloads by event, then by group (see `groupOf`); an event's entry lives a few seconds. */
  const shared = new LRUCache<string, Map<string, Promise<Record<string, unknown> | undefined>>>({ max: 10_000, ttl: 5_000 });
  const connectionsByUser = new Map<string, number>();
  const accounts = new AccountChecks(deps.authUrl);
  /** Open connections, for the account re-checks. */
  const connections = new Set<Extra>();
  const subscriptionsByUser = new Map<string, number>();
  /** Forgets one of the connection's subscriptions, once, in its user's count too. */
  const release = (extra: Extra, id: string) => {
    if (!subscriptionsOf(extra).delete(id)) return;
    const user = extra.claims!.sub;
    subscriptionsByUser.set(user, (subscriptionsByUser.get(user) ?? 1) - 1);
    if (subscriptionsByUser.get(user)! <= 0) subscriptionsByUser.delete(user);
  };

  /**
   * One follow-up execution per event, selection and visibility, kept briefly
   * for the other subscribers: they all get the same payload object, so its
   * presentation (below) is shared too.
   */
  const payloadFor = (event: RequestEvent, followUp: FollowUp, selection: string, extra: Extra): Promise<Record<string, unknown> | undefined> => {
    const group = groupOf(extra.subscriber!, event, selection);
    let payloads = shared.get(event.eventId);
    if (!payloads) shared.set(event.eventId, (payloads = new Map()));
    let payload = payloads.get(group);
    if (!payload) {
      payload = deps.apollo
        .executeOperation(
          {
            query: followUp.query,
            variables: { ...followUp.variables, __requestId: event.requestId, __changedBy: event.changedById ?? event.requesterId, __withChangedBy: !!event.changedById },
          },
          // Fresh: read after this event, never an answer begun before it.
          { contextValue: { authorization: extra.authorization, fresh: true } },
        )
        .then((response) => {
          const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
          if (result?.errors?.length) deps.logger.warn({ errors: result.errors, eventId: event.eventId }, 'live: resolving an event failed');
          // Run by an account refused meanwhile: not the group's answer.
          if (refusedTheRunner(result?.errors) && payloads!.get(group) === payload) payloads!.delete(group);
          const data = result?.data;
          if (!data?.[VISIBILITY_KEY]) return undefined; // not the subscriber's to see
          return { ...data, previousStatus: event.previousStatus, status: event.status, at: event.occurredAt, __typename: 'RequestStatusChange' };
        });
      payloads.set(group, payload);
    }
    return payload;
  };

  /**
   * Subscribers with the same operation and variables get the same result for
   * the same payload: executed once, not once per subscriber.
   */
  const presented = new WeakMap<object, Map<string, ExecutionResult>>();
  const present = (payload: Record<string, unknown>, operationKey: string, args: ExecutionArgs): ExecutionResult => {
    let results = presented.get(payload);
    if (!results) presented.set(payload, (results = new Map()));
    let result = results.get(operationKey);
    if (!result) {
      result = execute({ ...args, rootValue: payload, fieldResolver: byResponseKey }) as ExecutionResult; // synchronous: the payload is plain data
      results.set(operationKey, result);
    }
    return result;
  };

  let built: { from: GraphQLSchema; live: GraphQLSchema } | undefined;
  /** The live schema for the gateway's current API schema, rebuilt when that changes. */
  const liveSchema = (): GraphQLSchema => {
    const apiSchema = deps.apiSchema();
    if (!apiSchema) throw new Error('the gateway has not loaded its schema yet');
    if (built?.from !== apiSchema) built = { from: apiSchema, live: withSubscribe(buildLiveSchema(apiSchema)) };
    return built.live;
  };
  const withSubscribe = (live: GraphQLSchema): GraphQLSchema => {
    const field = live.getSubscriptionType()!.getFields().requestStatusChanged!;
    field.resolve = (payload) => payload;
    field.subscribe = (_root, args: RequestSubscriptionArgs, extra: Extra, info) => {
      const followUp = buildFollowUp(info);
      const selection = selectionKey(followUp);
      return liveStream<RequestEvent, Record<string, unknown>>({
        listen: (push) => hub.listen((event) => wantsEvent(args, extra.subscriber!, event) && push(event)),
        resolve: (event) => payloadFor(event, followUp, selection, extra),
        maxPending: limits.pendingPerSubscriber,
        onDropped: () => dropSlowReader(extra),
      });
    };
    const stock = live.getSubscriptionType()!.getFields().stockChanged;
    if (stock) {
      stock.resolve = (payload) => payload;
      // The payload is keyed by field name (every subscriber shares it), not by response key.
      for (const f of Object.values((live.getType('StockChange') as GraphQLObjectType).getFields())) f.resolve = (source: Record<string, unknown>) => source[f.name];
      stock.subscribe = (_root, args: StockSubscriptionArgs, extra: Extra) =>
        liveStream<StockEvent, Record<string, unknown>>({
          listen: (push) => stockHub.listen((event) => wantsStockChange(args, event) && push(event)),
          resolve: async (event) => stockPayload(event),
          maxPending: limits.pendingPerSubscriber,
          onDropped: () => dropSlowReader(extra),
        });
    }
    return live;
  };
  const dropSlowReader = (extra: Extra) => {
    processMetrics.liveDropped.inc();
    // Our own code (graphql-ws' client retries it): the client reconnects and refetches.
    extra.socket.close(LIVE_CLOSE.TOO_SLOW, 'Too slow: not reading updates');
  };

  const wss = new WebSocketServer({ server: deps.server, path: '/graphql' });
  const serverCleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema: liveSchema,
      validate: (schema, document) => validate(schema, document, [...specifiedRules, ...(deps.guard?.validationRules ?? [])]),
      subscribe: async (args) => {
        const refusal = deps.guard?.costRefusal({ schema: args.schema, document: args.document, variables: args.variableValues, operationName: args.operationName });
        if (refusal) return refusal;
        const source = await createSourceEventStream({ ...args, fieldResolver: byResponseKey });
        if (!(Symbol.asyncIterator in source)) return source; // errors before the stream started
        const operationKey = `${args.operationName ?? ''}|${print(args.document)}|${JSON.stringify(args.variableValues ?? {})}`;
        return mapStream(source as AsyncIterableIterator<Record<string, unknown>>, (payload) => present(payload, operationKey, args));
      },
      context: (ctx) => ctx.extra,
      onConnect: async (ctx) => {
        const authorization = typeof ctx.connectionParams?.authorization === 'string' ? ctx.connectionParams.authorization : undefined;
        const claims = await deps.verifier.verifyHeader(authorization).catch(() => undefined);
        if (!claims) {
          ctx.extra.socket.close(LIVE_CLOSE.UNAUTHORIZED, 'Unauthorized');
          return false;
        }
        if (claims.typ !== 'user') return false; // 4403: live updates are for people
        const account = await accounts.current(authorization!).catch(() => undefined);
        if (account === undefined) {
          ctx.extra.socket.close(LIVE_CLOSE.TRY_AGAIN_LATER, 'The account cannot be checked now: try again');
          return false;
        }
        if (!account) {
          ctx.extra.socket.close(LIVE_CLOSE.FORBIDDEN, 'This account may not subscribe');
          return false;
        }
        const open = connectionsByUser.get(claims.sub) ?? 0;
        if (open >= limits.connectionsPerUser) {
          ctx.extra.socket.close(LIVE_CLOSE.TOO_MANY_CONNECTIONS, 'Too many connections');
          return false;
        }
        connectionsByUser.set(claims.sub, open + 1);
        Object.assign(ctx.extra, { authorization, claims, subscriber: { id: account.id, role: account.role, units: account.units } });
        connections.add(ctx.extra);
        ctx.extra.expiry = setTimeout(() => ctx.extra.socket.close(LIVE_CLOSE.UNAUTHORIZED, 'Token expired'), claims.exp * 1000 - Date.now());
        processMetrics.liveConnections.inc();
        return true;
      },
      onSubscribe: (ctx, id) => {
        if (subscriptionsOf(ctx.extra).size >= limits.subscriptionsPerConnection) {
          return [new GraphQLError(`At most ${limits.subscriptionsPerConnection} subscriptions per connection`, { extensions: { code: 'TOO_MANY_REQUESTS' } })];
        }
        const user = ctx.extra.claims!.sub;
        const ofUser = subscriptionsByUser.get(user) ?? 0;
        if (ofUser >= limits.subscriptionsPerUser) {
          return [new GraphQLError(`At most ${limits.subscriptionsPerUser} subscriptions per user across connections`, { extensions: { code: 'TOO_MANY_REQUESTS' } })];
        }
        subscriptionsOf(ctx.extra).add(id);
        subscriptionsByUser.set(user, ofUser + 1);
      },
      onOperation: () => {
        processMetrics.liveSubscriptions.inc(); // every running operation ends with onComplete
        deps.onSubscribed?.();
      },
      onError: (ctx, id) => {
        release(ctx.extra, id); // refused before running (validation)
      },
      onComplete: (ctx, id) => {
        release(ctx.extra, id);
        processMetrics.liveSubscriptions.dec();
      },
      onClose: (ctx) => {
        clearTimeout(ctx.extra.expiry);
        connections.delete(ctx.extra);
        for (const id of [...subscriptionsOf(ctx.extra)]) release(ctx.extra, id);
        const sub = ctx.extra.claims?.sub;
        if (sub) {
          connectionsByUser.set(sub, Math.max(0, (connectionsByUser.get(sub) ?? 1) - 1));
          processMetrics.liveConnections.dec();
        }
      },
    },
    wss,
    // graphql-ws' keep-alive: a ping every period; a peer that does not answer within one is cut.
    limits.keepAliveMs,
  );

  /** Each subscribing person's account, once per period: closed when deactivated or re-roled. */
  const recheck = async () => {
    const byUser = new Map<string, Extra[]>();
    for (const extra of connections) byUser.set(extra.subscriber!.id, [...(byUser.get(extra.subscriber!.id) ?? []), extra]);
    await Promise.all(
      [...byUser.values()].map(async (extras) => {
        const account = await accounts.current(extras[0]!.authorization!).catch(() => undefined); // auth away: keep what we know
        if (account === undefined) return;
        for (const extra of extras) {
          if (!account || !readsAlike(extra.subscriber!, account)) extra.socket.close(LIVE_CLOSE.FORBIDDEN, account ? 'The role or units changed: reconnect' : 'This account is no longer active');
        }
      }),
    );
  };
  let rechecking = false;
  const rechecker = setInterval(() => {
    if (rechecking) return;
    rechecking = true;
    recheck().finally(() => (rechecking = false));
  }, Math.max(250, limits.accountRecheckMs)).unref();

  return {
    async stop() {
      clearInterval(rechecker);
      await serverCleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await hub.stop();
      await stockHub.stop();
    },
  };
}
