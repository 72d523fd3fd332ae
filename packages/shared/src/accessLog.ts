/**
 * What operators need at `info` without turning on debug: every failed answer
 * (5xx) and every refused caller (401, 403, 429, or the same codes inside a
 * GraphQL answer, such as a failed login), one JSON line each with the request
 * id that the client got back in `X-Request-Id`.
 */
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ErrorCode } from './errors';
import type { Logger } from './logger';
import { REQUEST_ID_HEADER } from './requestId';

const REFUSED_STATUSES = new Set([401, 403, 429]);
const REFUSAL_CODES = new Set<string>([ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.TOO_MANY_REQUESTS]);
const FAILURE_CODES = new Set<string>([ErrorCode.INTERNAL_SERVER_ERROR, ErrorCode.SERVICE_UNAVAILABLE]);
const MAX_LOGGED_NAME = 100;

/** An HTTP answer, once sent: logged if it failed or refused the caller. */
export function logHttpAnswer(
  logger: Logger,
  req: IncomingMessage,
  requestId: string,
  status: number,
  ms: number,
): void {
  // The path without its query string (a GET's query string carries the operation and its variables).
  const line = { requestId, method: req.method, path: req.url?.split('?')[0], status, ms };
  if (status >= 500) logger.error(line, 'request failed');
  else if (REFUSED_STATUSES.has(status)) logger.info(line, 'request refused');
  else if (logger.isLevelEnabled('debug')) logger.debug(line, 'request');
}

/**
 * The same for GraphQL answers sent with 200 whose errors refuse the caller or
 * failed (answers with an error status are logged by `logHttpAnswer`).
 */
export function logGraphQLRefusals(logger: Logger): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, operationName }) {
          if ((response.http.status ?? 200) >= 400 || response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          const codes = [...new Set(errors.map((e) => String(e.extensions?.code)))];
          // The name is the caller's text: bounded, so a refused stranger cannot write megabytes of log.
          const line = {
            requestId: request.http?.headers.get(REQUEST_ID_HEADER),
            operation: operationName?.slice(0, MAX_LOGGED_NAME) ?? null,
            codes,
          };
          const failures = errors.filter((e) => FAILURE_CODES.has(String(e.extensions?.code)));
          // Stopped because its caller left: nothing failed, nobody reads the answer.
          if (failures.length && failures.every((e) => e.extensions?.callerGone === true))
            logger.info(line, 'operation abandoned: the caller went away');
          else if (failures.length) logger.error(line, 'operation failed');
          else if (codes.some((code) => REFUSAL_CODES.has(code))) logger.info(line, 'operation refused');
        },
      };
    },
  };
}
