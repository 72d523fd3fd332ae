/**
 * Identical queries of one caller in flight are executed once: a query that
 * arrives while the same caller's same query (text, operation, variables) is
 * being executed waits for that one and answers with its data. Dashboards left
 * open on several screens under one account, and clients that fire the same
 * query from several components at once, ask exactly that; the gateway then
 * plans, fetches and shapes the answer once instead of for each. This is the
 * gateway's only sharing: subgraph fetches are each query's own.
 *
 * What keeps it correct — a query never gets an answer read before something
 * its sender may already know of:
 * - only queries, and only within one caller (the token is the key): nobody gets
 *   data fetched with someone else's rights;
 * - a caller's mutation, once made, closes that caller's queries in flight to
 *   newcomers (read-your-writes);
 * - each request event the gateway receives closes every query in flight
 *   (`closeAll`): a dashboard that refetches when a live update tells it of a
 *   change never gets data read before that change;
 * - reads that must start after an event (live follow-ups) opt out;
 * - only complete answers are shared: after an answer with errors, or when the
 *   first one has not answered within `maxWaitMs`, each waiting query is
 *   executed on its own.
 * A query answered so names the request that read it (`answeredWith`, in the
 * debug log): the subgraphs' log lines carry that one's request id.
 * Across gateway replicas, a write through one is not seen by the other's
 * queries in flight: there an answer can be as old as one query's duration.
 */
import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext } from '@apollo/server';

type Data = Record<string, unknown>;

export interface CoalescingOptions<TContext> {
  /** Whose rights a query runs with; undefined: never shared. */
  callerOf(context: TContext): string | undefined;
  /** The request id a query carries to the subgraphs. */
  requestIdOf?(context: TContext): string | undefined;
  /** How long a query waits for the identical one in flight before running on its own. @default 10_000 */
  readonly maxWaitMs?: number;
}

export interface QueryCoalescing<TContext extends BaseContext> {
  readonly plugin: ApolloServerPlugin<TContext>;
  /** Something changed: no query in flight (it may have read before) is joined any more. */
  closeAll(): void;
}

/** A query being executed that identical ones of its caller may join: its data, or null when it had errors. */
interface Leader {
  readonly caller: string;
  readonly requestId?: string;
  readonly answer: Promise<Data | null>;
}

const within = <T>(promise: Promise<T>, ms: number, otherwise: T): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(resolve, ms, otherwise)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
};

export function coalesceIdenticalQueries<TContext extends BaseContext>(
  options: CoalescingOptions<TContext>,
): QueryCoalescing<TContext> {
  const maxWaitMs = options.maxWaitMs ?? 10_000;
  /** Queries in flight by caller and query; a leader leaves once it has answered, or when closed. */
  const leaders = new Map<string, Leader>();
  const keyOf = (caller: string, ctx: GraphQLRequestContext<TContext>) =>
    `${caller}\n${ctx.queryHash}\n${ctx.request.operationName ?? ''}\n${ctx.request.variables ? JSON.stringify(ctx.request.variables) : ''}`;
  const closeFor = (caller: string) => {
    for (const [key, leader] of leaders) if (leader.caller === caller) leaders.delete(key);
  };

  const plugin: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      let settle: ((data: Data | null) => void) | undefined;
      let writer: string | undefined;
      const finish = (data: Data | null) => {
        settle?.(data);
        settle = undefined;
      };
      return {
        async responseForOperation(ctx) {
          const caller = options.callerOf(ctx.contextValue);
          if (ctx.operation.operation === 'mutation' && caller !== undefined) writer = caller;
          if (ctx.operation.operation !== 'query' || caller === undefined) return null;
          const key = keyOf(caller, ctx);
          const requestId = options.requestIdOf?.(ctx.contextValue);
          const leader = leaders.get(key);
          if (leader) {
            const data = await within(leader.answer, maxWaitMs, null);
            if (!data) return null; // the first one failed or is late: this one runs on its own
            ctx.logger.debug?.(JSON.stringify({ requestId, answeredWith: leader.requestId }));
            return {
              http: { status: undefined, headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { data } },
            };
          }
          const own: Leader = { caller, requestId, answer: new Promise<Data | null>((resolve) => (settle = resolve)) };
          leaders.set(key, own);
          const leave = () => leaders.get(key) === own && leaders.delete(key); // not a newer one opened since
          void own.answer.then(leave);
          return null;
        },
        async executionDidStart() {
          return {
            async executionDidEnd(err) {
              if (err) finish(null);
            },
          };
        },
        async willSendResponse(ctx) {
          // Once the write is made, the caller's queries in flight may have read before it.
          if (writer !== undefined) closeFor(writer);
          const body = ctx.response.body;
          const complete = body.kind === 'single' && !body.singleResult.errors?.length && body.singleResult.data;
          finish(complete ? (body.singleResult.data as Data) : null);
        },
      };
    },
  };
  return { plugin, closeAll: () => leaders.clear() };
}
