/**
 * A subgraph the gateway runs in its own process (one process per replica): the
 * gateway hands it an operation and gets its result, with no HTTP between them.
 * The subgraph still builds its own context from the caller's credentials (the
 * token verified again, its own Prisma client and loaders) and runs Apollo's
 * whole request pipeline (operation limits, access checks, error masking), as
 * it does for an operation that came over HTTP.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { GraphQLError, type FormattedExecutionResult } from 'graphql';
import { watchCall } from './abandoned';
import { callerGone, serviceUnavailable } from './errors';
import { REQUEST_ID_HEADER } from './requestId';

/** One operation of the gateway's query plan, as it would be POSTed. */
export interface LocalOperation {
  readonly query?: string;
  readonly operationName?: string;
  readonly variables?: Record<string, unknown>;
  readonly extensions?: Record<string, unknown>;
}

/** Who the operation is for, as the HTTP request would have said. */
export interface LocalCaller {
  readonly authorization?: string;
  readonly clientAddress?: string;
  readonly requestId?: string;
  /** Aborted when nobody waits for the answer (the client hung up, or the gateway's timeout passed). */
  readonly signal?: AbortSignal;
  /** How long the subgraph may run the operation. */
  readonly timeoutMs: number;
}

export interface LocalSubgraph {
  /** The operation's result; throws (a coded GraphQLError) when it could not run at all, as an HTTP error status would. */
  execute(operation: LocalOperation, caller: LocalCaller): Promise<FormattedExecutionResult>;
}

/**
 * What a context builder reads of an HTTP request (headers, the peer's address):
 * the same, for an operation that came with no HTTP request (cast: the builders
 * take Node's request type, of which they read only these).
 */
function requestOf(caller: LocalCaller): IncomingMessage {
  const headers: Record<string, string> = {};
  if (caller.authorization) headers.authorization = caller.authorization;
  if (caller.requestId) headers[REQUEST_ID_HEADER] = caller.requestId;
  const socket = { remoteAddress: caller.clientAddress };
  return { headers, socket, connection: socket } as unknown as IncomingMessage;
}

/** Runs `apollo`'s operations in process, each with the context `context` makes of its caller. */
export function localSubgraph<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  context: (req: IncomingMessage) => Promise<TContext>,
): LocalSubgraph {
  return {
    async execute(operation, caller) {
      if (caller.signal?.aborted) throw callerGone();
      const req = requestOf(caller);
      const abandoned = watchCall(req, caller.signal, caller.timeoutMs);
      const timedOut = () =>
        serviceUnavailable(
          `A service behind the gateway did not answer within ${caller.timeoutMs} ms; try again shortly`,
        );
      const run = (async () => {
        // A context that cannot be made (a bad token, auth unreachable) fails the whole call, as its HTTP status would.
        const contextValue = await context(req);
        const response = await apollo.executeOperation(operation, { contextValue });
        if (response.body.kind !== 'single')
          throw new GraphQLError('The gateway asked a subgraph for an incremental answer');
        return response.body.singleResult;
      })();
      try {
        const result = await Promise.race([
          run,
          abandoned.then((why) => Promise.reject(why === 'caller gone' ? callerGone() : timedOut())),
        ]);
        // An answer finished after the call was given up on is not taken, as over HTTP (where the call is cut then).
        const late = abandoned.why();
        if (late) throw late === 'caller gone' ? callerGone() : timedOut();
        return result;
      } finally {
        abandoned.cancel();
      }
    },
  };
}
