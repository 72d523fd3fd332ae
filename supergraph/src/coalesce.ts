/**
 * Identical queries of one caller in flight are executed once: a query that
 * arrives while the same caller's same query (text, operation, variables) is
 * being executed waits for that one and answers with its data. Dashboards left
 * open on several screens under one account, and clients that fire the same
 * query from several components at once, ask exactly that; the gateway then
 * plans, fetches and shapes the answer once instead of for each.
 *
 * What keeps it correct:
 * - only queries, and only within one caller (the token is the key): nobody gets
 *   data fetched with someone else's rights;
 * - read-your-writes: a mutation by a caller, once made, closes that caller's
 *   queries in flight to newcomers, so a query sent after one's own write never gets an
 *   answer read before it (through this gateway; across replicas, an answer can
 *   be as old as one query's duration — as with shared subgraph fetches);
 * - only complete answers are shared: after an answer with errors, each waiting
 *   query is executed on its own.
 */
import { HeaderMap, type ApolloServerPlugin, type BaseContext, type GraphQLRequestContext } from '@apollo/server';

interface InFlight {
  readonly caller: string;
  readonly answer: Promise<Record<string, unknown> | null>;
}

export function coalesceIdenticalQueries<TContext extends BaseContext>(callerOf: (context: TContext) => string): ApolloServerPlugin<TContext> {
  const inFlight = new Map<string, InFlight>();
  const closeFor = (caller: string) => {
    for (const [key, entry] of inFlight) if (entry.caller === caller) inFlight.delete(key);
  };
  const keyOf = (ctx: GraphQLRequestContext<TContext>, caller: string) =>
    `${caller}\n${ctx.queryHash}\n${ctx.request.operationName ?? ''}\n${ctx.request.variables ? JSON.stringify(ctx.request.variables) : ''}`;

  return {
    async requestDidStart() {
      let settle: ((data: Record<string, unknown> | null) => void) | undefined;
      let key: string | undefined;
      const finish = (data: Record<string, unknown> | null) => {
        if (!settle) return;
        settle(data);
        settle = undefined;
        if (inFlight.get(key!)?.answer === answer) inFlight.delete(key!);
      };
      let answer: Promise<Record<string, unknown> | null> | undefined;
      let writer: string | undefined;
      return {
        async responseForOperation(ctx) {
          const caller = callerOf(ctx.contextValue);
          if (ctx.operation.operation !== 'query') {
            // Once the write is made, the caller's queries in flight may have read before it.
            if (ctx.operation.operation === 'mutation') writer = caller;
            return null;
          }
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
          if (writer !== undefined) closeFor(writer);
          const body = ctx.response.body;
          const complete = body.kind === 'single' && !body.singleResult.errors?.length && body.singleResult.data;
          finish(complete ? (body.singleResult.data as Record<string, unknown>) : null);
        },
      };
    },
  };
}
