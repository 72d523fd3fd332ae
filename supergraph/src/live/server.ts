/**
 * Live updates: graphql-ws on the gateway's own port and path. Events (from
 * RabbitMQ, through the hubs) are hints: each `requestStatusChanged` subscriber
 * gets the changes it may see, read through the supergraph with its own
 * authorization — the change from the request service's record of it, the
 * request's fields from every subgraph — once per event and distinct selection
 * (and visibility), shared by every subscriber asking the same; `stockChanged`
 * subscribers get pyxis' record of each stock change (see ./stock). An update
 * that cannot be read now reaches its subscribers as a SERVICE_UNAVAILABLE error
 * telling them to refetch (see ./unreadable).
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
import {
  createSourceEventStream,
  execute,
  print,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
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
  type RequestFacts,
  matchesArgs,
  type RequestChangeEvent,
  type RequestSubscriptionArgs,
  type StockEvent,
  type Subscriber,
  type TokenVerifier,
} from '@asky/shared';
import { buildLiveSchema } from './schema';
import { AccountChecks, type Account } from './accounts';
import { buildFollowUp, CHANGE_KEY, VISIBILITY_KEY, type FollowUp } from './followUp';
import { STOCK_CHANGE_QUERY, wantsStockChange, type StockSubscriptionArgs } from './stock';
import { isUnreadable, unreadable, unreadableResult, type Unreadable } from './unreadable';

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
  readonly onEvent?: (event: RequestChangeEvent) => void;
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
const selectionKey = (followUp: FollowUp) =>
  createHash('sha256')
    .update(`${followUp.query}|${JSON.stringify(followUp.variables)}`)
    .digest('base64');

/** Subscribers whose follow-up results for `event` are the same: who they are to it, same selection. */
const groupOf = (subscriber: Subscriber, event: RequestChangeEvent, selection: string) =>
  `${requestReaderGroup(subscriber, event)}|${selection}`;

/** A follow-up refused for the account that ran it (not for the request): another subscriber must run its own. */
const refusedTheRunner = (errors: readonly unknown[] | undefined) =>
  !!errors?.some((e) => hasErrorCode(e, ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN));

/** Follows the gateway's API schema; register before the gateway loads. */
export function trackApiSchema(gateway: ApolloGateway): () => GraphQLSchema | undefined {
  let current: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => (current = apiSchema));
  return () => current;
}

/** A follow-up answer that is not the subscriber's data: the request or a subgraph could not be read. */
const failedToRead = (errors: readonly { extensions?: Record<string, unknown> }[] | undefined) =>
  !!errors?.some((e) => !hasErrorCode(e, ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.NOT_FOUND));

const UNREADABLE_REQUEST =
  'A change of a request could not be read now (a service Asky depends on did not answer): refetch the requests';
const UNREADABLE_STOCK =
  'A stock change could not be read now (a service Asky depends on did not answer): refetch the stock';

/** What a request update is, read back: the payload, and the facts its subscribers' arguments are checked on. */
interface ReadBack {
  readonly payload: Record<string, unknown>;
  readonly facts: RequestFacts;
}

export async function startLive(deps: LiveDeps): Promise<{ stop(): Promise<void>; healthy(): boolean }> {
  const limits = { ...DEFAULT_LIVE_LIMITS, ...deps.limits };
  const hub = new LiveHub(deps.bus, deps.logger, REQUEST_EVENTS);
  if (deps.onEvent) hub.listen(deps.onEvent);
  await hub.start();
  const stockHub = new LiveHub(deps.bus, deps.logger, STOCK_EVENTS);
  await stockHub.start();
  /** Reads shared by subscribers, by event and who they are to it (see `sharedRead`); each lives a few seconds. */
  const reads = new LRUCache<string, Promise<object | undefined>>({ max: 50_000, ttl: 5_000 });
  // Kept half a re-check period: a deactivation still closes sockets within one and a half.
  const accounts = new AccountChecks(deps.authUrl, Math.min(5_000, limits.accountRecheckMs / 2));

  /** Runs `query` through the supergraph as `connection`'s person, fresh (never an answer begun before the event). */
  const readAs = async (query: string, variables: Record<string, unknown>, connection: Connection) => {
    const response = await deps.apollo.executeOperation(
      { query, variables },
      { contextValue: { authorization: connection.authorization, fresh: true } },
    );
    return response.body.kind === 'single'
      ? response.body.singleResult
      : { errors: [{ message: 'incremental delivery', extensions: {} }] };
  };

  /**
   * One read through the supergraph as `connection`'s person, shared by every
   * subscriber under `key` and kept briefly: they all get the same payload
   * object, so its presentation (below) is shared too. Refused for the account
   * that ran it, it is forgotten (another subscriber runs its own); failed (a
   * subgraph or database down), it is `unreadable` (its subscribers refetch).
   */
  const sharedRead = <T extends object>(
    key: string,
    query: string,
    variables: Record<string, unknown>,
    connection: Connection,
    failure: string,
    answer: (data: Record<string, unknown> | null | undefined) => T | undefined,
  ) => {
    let read = reads.get(key) as Promise<T | Unreadable | undefined> | undefined;
    if (!read) {
      const failed = (detail: object) => {
        deps.logger.warn({ ...detail, key }, 'live: reading an update failed: its subscribers are told to refetch');
        return unreadable(failure);
      };
      read = readAs(query, variables, connection).then(
        (result) => {
          if (refusedTheRunner(result.errors) && reads.get(key) === read) reads.delete(key);
          return failedToRead(result.errors as never) ? failed({ errors: result.errors }) : answer(result.data);
        },
        (err: unknown) => failed({ err }),
      );
      reads.set(key, read);
    }
    return read;
  };

  /** A request change, read back once per event, selection and visibility (see `groupOf`). */
  const payloadFor = (event: RequestChangeEvent, followUp: FollowUp, selection: string, connection: Connection) =>
    sharedRead(
      `${event.eventId}|${groupOf(connection.account, event, selection)}`,
      followUp.query,
      { ...followUp.variables, __requestId: event.requestId, __eventId: event.eventId },
      connection,
      UNREADABLE_REQUEST,
      (data) => readBack(data, followUp),
    );

  /** The subscriber's payload from a follow-up's data: undefined when it may not see the request, or the event names no recorded change. */
  const readBack = (data: Record<string, unknown> | null | undefined, followUp: FollowUp): ReadBack | undefined => {
    const visible = data?.[VISIBILITY_KEY] as
      (Record<string, unknown> & { assignee: { id: string } | null }) | null | undefined;
    if (!visible) return undefined; // not the subscriber's to see
    const change = visible[CHANGE_KEY] as Record<string, unknown> | null;
    if (!change) {
      deps.logger.warn(
        { requestId: visible.id },
        'live: an event named no change the request service recorded (forged?): nothing sent',
      );
      return undefined;
    }
    const { [VISIBILITY_KEY]: _probe, ...requestFields } = data!;
    const changedBy = Object.fromEntries(followUp.changedByKeys.map((key) => [key, change[key] ?? null]));
    return {
      payload: {
        ...requestFields,
        ...changedBy,
        type: change.type,
        previousStatus: change.previousStatus,
        status: change.status,
        at: change.at,
        escalationLevel: change.escalationLevel,
        __typename: 'RequestStatusChange',
      },
      facts: {
        requestId: visible.id as string,
        kind: visible.kind as string,
        priority: visible.priority as string,
        unit: (visible.unit as string | null) ?? null,
        status: change.status as string,
        assigneeId: visible.assignee?.id ?? null,
      },
    };
  };

  /** Pyxis' record of a stock change, read once per event and role: what it shows depends on the role (blind counts). */
  const stockChangeFor = (event: StockEvent, connection: Connection) =>
    sharedRead(
      `${event.eventId}|${connection.account.role}`,
      STOCK_CHANGE_QUERY,
      { __eventId: event.eventId },
      connection,
      UNREADABLE_STOCK,
      (data) => {
        const recorded = (data?.stockChange as Record<string, unknown> | null | undefined) ?? undefined;
        if (!recorded)
          deps.logger.warn(
            { eventId: event.eventId },
            'live: a stock event named no change pyxis recorded (forged?): nothing sent',
          );
        return recorded && { ...recorded, __typename: 'StockChange' };
      },
    );

  /**
   * Subscribers with the same operation and variables get the same result for
   * the same payload: executed once, not once per subscriber.
   */
  const presented = new WeakMap<object, Map<string, ExecutionResult>>();
  const present = (
    payload: Record<string, unknown> | Unreadable,
    operationKey: string,
    args: ExecutionArgs,
  ): ExecutionResult => {
    if (isUnreadable(payload)) return unreadableResult(payload);
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
      return requestStatusStream<Record<string, unknown> | Unreadable>(hub, args, connection.account, {
        // The arguments checked again on what was read: the event only claimed it.
        resolve: async (event) => {
          const read = await payloadFor(event, followUp, selection, connection);
          if (!read || isUnreadable(read)) return read;
          return matchesArgs(args, connection.account, read.facts) ? read.payload : undefined;
        },
        maxPending: limits.pendingPerSubscriber,
        onDropped: () => closeSlowReader(connection.socket),
      });
    };
    const stock = live.getSubscriptionType()!.getFields().stockChanged;
    if (stock) {
      stock.resolve = (payload) => payload;
      // The payload is keyed by field name (every subscriber shares it), not by response key.
      for (const f of Object.values((live.getType('StockChange') as GraphQLObjectType).getFields()))
        f.resolve = (source: Record<string, unknown>) => source[f.name];
      stock.subscribe = (_root, args: StockSubscriptionArgs, connection: Connection) =>
        liveStream<StockEvent, Record<string, unknown> | Unreadable>({
          listen: (push) => stockHub.listen((event) => wantsStockChange(args, event) && push(event)),
          resolve: async (event) => {
            const change = await stockChangeFor(event, connection);
            return !change || isUnreadable(change) || wantsStockChange(args, change as never) ? change : undefined;
          },
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
      return mapStream(source as AsyncIterableIterator<Record<string, unknown> | Unreadable>, (payload) =>
        present(payload, operationKey, args),
      );
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
    healthy: () => hub.healthy() && stockHub.healthy(),
  };
}
