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

import { ReadsInFlight } from './readsInFlight';

type Data = Record<string, unknown>;

export interface QueryCoalescing<TContext extends BaseContext> {
  readonly plugin: ApolloServerPlugin<TContext>;
  /** Something changed: no query in flight (it may have read before) is joined any more. */
  closeAll(): void;
}

/** @param callerOf whose rights a query runs with; undefined: never shared. */
export function coalesceIdenticalQueries<TContext extends BaseContext>(callerOf: (context: TContext) => string | undefined): QueryCoalescing<TContext> {
  /** Each query's answer: its data, or null when it had errors (then each waiter runs on its own). */
  const inFlight = new ReadsInFlight<Promise<Data | null>>();
  const keyOf = (ctx: GraphQLRequestContext<TContext>) =>
    `${ctx.queryHash}\n${ctx.request.operationName ?? ''}\n${ctx.request.variables ? JSON.stringify(ctx.request.variables) : ''}`;

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
          const caller = callerOf(ctx.contextValue);
          if (ctx.operation.operation === 'mutation' && caller !== undefined) writer = caller;
          if (ctx.operation.operation !== 'query' || caller === undefined) return null;
          const key = keyOf(ctx);
          const leader = inFlight.joinable(caller, key);
          if (leader) {
            const data = await leader;
            if (data) return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data } } };
            return null; // the first one failed: this one runs on its own
          }
          const answer = new Promise<Data | null>((resolve) => (settle = resolve));
          inFlight.open(caller, key, answer, answer);
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
          if (writer !== undefined) inFlight.closeFor(writer);
          const body = ctx.response.body;
          const complete = body.kind === 'single' && !body.singleResult.errors?.length && body.singleResult.data;
          finish(complete ? (body.singleResult.data as Data) : null);
        },
      };
    },
  };
  return { plugin, closeAll: () => inFlight.closeAll() };
}
