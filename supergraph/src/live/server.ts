/**
 * Live updates: graphql-ws on the gateway's own port and path. `stockChanged`
 * subscribers get pyxis' stock events as they are (see ./stock). Each
 * `requestStatusChanged` subscriber gets the events (from RabbitMQ, through the
 * hub) it may see, with the fields it selected on the request resolved through
 * the supergraph with its own authorization — once per event and distinct
 * selection (and visibility), shared by every subscriber asking the same.
 * Who may see an event is the rule of `request(id)` (`mayReadRequest`) applied to
 * the subscriber's current account (`requestStatusStream`); the connection rules
 * — accounts checked at connect and every `accountRecheckMs`, limits, expiry —
 * are `serveLive`'s, the same as at the request subgraph.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type http from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { ApolloGateway } from '@apollo/gateway';
import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import {
  closeSlowReader,
  DEFAULT_LIVE_LIMITS,
  ErrorCode,
  hasErrorCode,
  LiveHub,
  liveStream,
  REQUEST_EVENTS,
  STOCK_EVENTS,
  mapStream,
  requestReaderGroup,
  requestStatusStream,
  serveLive,
  type EventBus,
  type LiveConnection,
  type LiveLimits,
  type LiveSignal,
  type Logger,
  type OperationGuard,
  type RequestEvent,
  type RequestSubscriptionArgs,
  type StockEvent,
  type Subscriber,
  type TokenVerifier,
} from '@asky/shared';
import { buildLiveSchema } from './schema';
import { AccountChecks, type Account } from './accounts';
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
  /** Told as subscriptions start and end and connections close (tests wait on it instead of sleeping). */
  readonly onSignal?: (signal: LiveSignal) => void;
}

/** A subscription's context: its connection. */
type Connection = LiveConnection<Account>;

/** Subscription payloads are keyed by response key (aliases), as executed results are. */
const byResponseKey: GraphQLFieldResolver<Record<string, unknown> | null, unknown> = (source, _args, _ctx, info) =>
  source?.[info.path.key as string];

/**
 * A follow-up's query and variables as one short key, computed once per
 * subscription: it is part of a key looked up for every subscriber and event,
 * where hashing the whole printed query each time showed in the profile.
 */
const selectionKey = (followUp: FollowUp) => createHash('sha256').update(`${followUp.query}|${JSON.stringify(followUp.variables)}`).digest('base64');

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
  // Kept half a re-check period: a deactivation still closes sockets within one and a half.
  const accounts = new AccountChecks(deps.authUrl, Math.min(5_000, limits.accountRecheckMs / 2));

  /**
   * One follow-up execution per event, selection and visibility, kept briefly
   * for the other subscribers: they all get the same payload object, so its
   * presentation (below) is shared too.
   */
  const payloadFor = (event: RequestEvent, followUp: FollowUp, selection: string, connection: Connection): Promise<Record<string, unknown> | undefined> => {
    const group = groupOf(connection.account, event, selection);
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
          { contextValue: { authorization: connection.authorization, fresh: true } },
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
    field.subscribe = (_root, args: RequestSubscriptionArgs, connection: Connection, info) => {
      const followUp = buildFollowUp(info);
      const selection = selectionKey(followUp);
      return requestStatusStream<Record<string, unknown>>(hub, args, connection.account, {
        resolve: (event) => payloadFor(event, followUp, selection, connection),
        maxPending: limits.pendingPerSubscriber,
        onDropped: () => closeSlowReader(connection.socket),
      });
    };
    const stock = live.getSubscriptionType()!.getFields().stockChanged;
    if (stock) {
      stock.resolve = (payload) => payload;
      // The payload is keyed by field name (every subscriber shares it), not by response key.
      for (const f of Object.values((live.getType('StockChange') as GraphQLObjectType).getFields())) f.resolve = (source: Record<string, unknown>) => source[f.name];
      stock.subscribe = (_root, args: StockSubscriptionArgs, connection: Connection) =>
        liveStream<StockEvent, Record<string, unknown>>({
          listen: (push) => stockHub.listen((event) => wantsStockChange(args, event) && push(event)),
          resolve: async (event) => stockPayload(event),
          maxPending: limits.pendingPerSubscriber,
          onDropped: () => closeSlowReader(connection.socket),
        });
    }
    return live;
  };
  const live = serveLive<Account>({
    server: deps.server,
    schema: liveSchema,
    verifier: deps.verifier,
    account: (authorization) => accounts.current(authorization),
    guard: deps.guard,
    limits: deps.limits,
    subscribe: async (args) => {
      const source = await createSourceEventStream({ ...args, fieldResolver: byResponseKey });
      if (!(Symbol.asyncIterator in source)) return source; // errors before the stream started
      const operationKey = `${args.operationName ?? ''}|${print(args.document)}|${JSON.stringify(args.variableValues ?? {})}`;
      return mapStream(source as AsyncIterableIterator<Record<string, unknown>>, (payload) => present(payload, operationKey, args));
    },
    context: (connection) => connection,
    onSignal: deps.onSignal,
  });

  return {
    async stop() {
      await live.stop();
      await hub.stop();
      await stockHub.stop();
    },
  };
}
