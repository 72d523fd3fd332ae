/**
 * Identical queries of one caller in flight are executed once: a query that
 * arrives while the same caller's same query (text, operation, variables) is
 * being executed waits for that one and answers with its data. Dashboards left
 * open on several screens under one account, and clients that fire the same
 * query from several components at once, ask exactly that; the gateway then
 * plans, fetches and shapes the answer once instead of for each.
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
 * - only complete answers are shared: after an answer with errors, each waiting
 *   query is executed on its own.
 * Across gateway replicas, a write through one is not seen by the other's
 * queries in flight: there an answer can be as old as one query's duration (as
 * with shared subgraph fetches).
 */
import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext } from '@apollo/server';

type Data = Record<string, unknown>;

interface InFlight {
  readonly caller: string;
  readonly answer: Promise<Data | null>;
}

export interface QueryCoalescing<TContext extends BaseContext> {
  readonly plugin: ApolloServerPlugin<TContext>;
  /** Something changed: no query in flight (it may have read before) is joined any more. */
  closeAll(): void;
}

/** @param callerOf whose rights a query runs with; undefined: never shared. */
export function coalesceIdenticalQueries<TContext extends BaseContext>(callerOf: (context: TContext) => string | undefined): QueryCoalescing<TContext> {
  const inFlight = new Map<string, InFlight>();
  const closeFor = (caller: string) => {
    for (const [key, entry] of inFlight) if (entry.caller === caller) inFlight.delete(key);
  };
  const keyOf = (ctx: GraphQLRequestContext<TContext>, caller: string) =>
    `${caller}\n${ctx.queryHash}\n${ctx.request.operationName ?? ''}\n${ctx.request.variables ? JSON.stringify(ctx.request.variables) : ''}`;

  const plugin: ApolloServerPlugin<TContext> = {
    async requestDidStart() {
      let settle: ((data: Data | null) => void) | undefined;
      let answer: Promise<Data | null> | undefined;
      let key: string | undefined;
      let writer: string | undefined;
      const finish = (data: Data | null) => {
        if (!settle) return;
        settle(data);
        settle = undefined;
        if (inFlight.get(key!)?.answer === answer) inFlight.delete(key!);
      };
      return {
        async responseForOperation(ctx) {
          const caller = callerOf(ctx.contextValue);
          if (ctx.operation.operation === 'mutation' && caller !== undefined) writer = caller;
          if (ctx.operation.operation !== 'query' || caller === undefined) return null;
          key = keyOf(ctx, caller);
          const leader = inFlight.get(key);
          if (leader) {
            const data = await leader.answer;
            if (data) return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data } } };
            return null; // the first one failed: this one runs on its own
          }
          answer = new Promise((resolve) => (settle = resolve));
          inFlight.set(key, { caller, answer });
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
  return { plugin, closeAll: () => inFlight.clear() };
}
