/**
 * Errors clients can cause, as GraphQL errors with an `extensions.code`, and the
 * one place that decides what an unexpected error looks like to a client.
 */
import { HeaderMap } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from './logger';
import { tokenLimitMessage } from './limits';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  /** A dependency (the database, another service) did not answer: retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes a client may see as they are; anything else is masked. */
const CLIENT_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR),
  // Apollo Server's own request-level codes.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

function clientError(code: ErrorCode, message: string, extra?: Record<string, unknown>) {
  return new GraphQLError(message, { extensions: { ...extra, code } });
}

export const badUserInput = (message: string, extra?: Record<string, unknown>) =>
  clientError(ErrorCode.BAD_USER_INPUT, message, extra);
export const unauthenticated = (message = 'You must be logged in') => clientError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'You are not allowed to do this') => clientError(ErrorCode.FORBIDDEN, message);
export const notFound = (message: string) => clientError(ErrorCode.NOT_FOUND, message);
export const conflict = (message: string, extra?: Record<string, unknown>) =>
  clientError(ErrorCode.CONFLICT, message, extra);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  clientError(ErrorCode.TOO_MANY_REQUESTS, message, { retryAfter: retryAfterSeconds });

/**
 * A dependency did not answer. `retryable: true` tells clients the same call may
 * succeed later (writes carry an idempotency key, so retrying them is safe).
 */
export const serviceUnavailable = (message = 'A service Asky depends on did not answer; try again shortly') =>
  clientError(ErrorCode.SERVICE_UNAVAILABLE, message, { retryable: true });

/**
 * Nobody waits for the answer any more (the client hung up, or its deadline
 * passed): the operation is stopped. Not a failure of Asky's — logged as such.
 */
export const callerGone = (message = 'The caller went away: the operation was stopped') =>
  clientError(ErrorCode.SERVICE_UNAVAILABLE, message, { retryable: true, callerGone: true });

/**
 * Why a database call failed, when trying it again later may succeed:
 * `unavailable` — the database cannot be reached, dropped the connection, is
 * starting or shutting down, or has no connection slot left; `contention` — the
 * transaction lost a race (serialization, deadlock, lock timeout). Anything else
 * (a bad query, a constraint) comes again every time: undefined.
 */
export type TransientDatabaseFailure = 'unavailable' | 'contention';

/** Prisma codes for a database that cannot be reached, dropped the connection or has no slot left. */
const UNAVAILABLE_PRISMA_CODES = new Set([
  'P1001', // cannot reach the server
  'P1002', // the server timed out
  'P1008', // operation timed out
  'P1017', // the server closed the connection
  'P2024', // timed out waiting for a pooled connection
  'P2028', // a transaction could not start or was closed under us
  'P2037', // too many database connections opened
]);
/** The driver adapter's kinds for the same (alone, or inside a raw query's P2010). */
const UNAVAILABLE_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/**
 * SQLSTATEs of the same: connection exceptions (class 08), insufficient
 * resources (class 53: 53300 too many connections), and the server shutting
 * down or starting up (57P01–57P03).
 */
const UNAVAILABLE_SQLSTATES = /^(08...|53...|57P0[123])$/;
/** What node-postgres says when a connection dies outside a socket error Prisma maps. */
const UNAVAILABLE_DRIVER_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection error and is not queryable|Client was closed and is not queryable|too many clients already|remaining connection slots are reserved/i;
/** Lost races: serialization failure, deadlock, lock timeout. */
const CONTENTION_SQLSTATES = new Set(['40001', '40P01', '55P03']);

/** The codes, adapter kinds and messages of `error` and of the errors it wraps (Prisma's `meta.driverAdapterError`, `cause`). */
function facetsOf(error: unknown): { codes: string[]; kinds: string[]; messages: string[] } {
  const facets = { codes: [] as string[], kinds: [] as string[], messages: [] as string[] };
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 4) return;
    seen.add(value);
    const { code, originalCode, kind, message, cause, meta } = value as Record<string, unknown>;
    for (const c of [code, originalCode]) if (typeof c === 'string') facets.codes.push(c);
    if (typeof kind === 'string') facets.kinds.push(kind);
    if (typeof message === 'string') facets.messages.push(message);
    visit(cause, depth + 1);
    visit(meta, depth + 1);
    visit((meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError, depth + 1);
  };
  visit(error, 0);
  return facets;
}

/** The one classification of database errors: API errors, consumer retries and readiness all use it. */
export function transientDatabaseFailure(error: unknown): TransientDatabaseFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const { codes, kinds, messages } = facetsOf(error);
  if (
    codes.some((code) => UNAVAILABLE_PRISMA_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code)) ||
    kinds.some((kind) => UNAVAILABLE_ADAPTER_KINDS.has(kind)) ||
    messages.some((message) => UNAVAILABLE_DRIVER_MESSAGES.test(message))
  ) {
    return 'unavailable';
  }
  if (
    codes.some((code) => code === 'P2034' || CONTENTION_SQLSTATES.has(code)) ||
    kinds.includes('TransactionWriteConflict')
  )
    return 'contention';
  return undefined;
}

/** Whether `error` (a GraphQLError, or an error object from another service's answer) carries one of `codes`. */
export function hasErrorCode(error: unknown, ...codes: ErrorCode[]): boolean {
  const code = (error as { extensions?: { code?: unknown } } | null | undefined)?.extensions?.code;
  return codes.includes(code as ErrorCode);
}

/** Whether `error` means the database is (for now) unreachable or out of connections, rather than a bad query. */
export const isDatabaseUnavailable = (error: unknown): boolean => transientDatabaseFailure(error) === 'unavailable';

/** Whether trying the same work again later may succeed: the database is unavailable, or the transaction lost a race. */
export const isTransientDatabaseError = (error: unknown): boolean => transientDatabaseFailure(error) !== undefined;

/** Prisma's known request errors that a client's input can cause. */
const PRISMA_CODES: Record<string, { code: ErrorCode; message: string }> = {
  P2002: { code: ErrorCode.CONFLICT, message: 'A record with the same unique value already exists' },
  P2025: { code: ErrorCode.NOT_FOUND, message: 'The record was not found' },
  P2003: { code: ErrorCode.BAD_USER_INPUT, message: 'A referenced record does not exist' },
};

/** Maps a Prisma error to a client error, or returns undefined when it is not one. */
export function fromPrismaError(error: unknown): GraphQLError | undefined {
  if (isTransientDatabaseError(error)) return serviceUnavailable();
  const code = (error as { code?: unknown } | null)?.code;
  const known = typeof code === 'string' ? PRISMA_CODES[code] : undefined;
  return known ? clientError(known.code, known.message) : undefined;
}

/**
 * Awaits a write and turns the Prisma errors a client's input can cause into
 * clear client errors: a duplicate (P2002) → CONFLICT, a missing row (P2025) →
 * NOT_FOUND, a missing reference (P2003) → BAD_USER_INPUT, each with `messages`.
 */
export async function expectingClientErrors<T>(
  write: Promise<T>,
  messages: { duplicate?: string; missing?: string; badReference?: string },
): Promise<T> {
  try {
    return await write;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'P2002' && messages.duplicate) throw conflict(messages.duplicate);
    if (code === 'P2025' && messages.missing) throw notFound(messages.missing);
    if (code === 'P2003' && messages.badReference) throw badUserInput(messages.badReference);
    throw err;
  }
}

/**
 * Apollo Server `formatError`: client errors pass through; Prisma errors a client
 * caused are translated; anything else is logged and reaches the client as a
 * generic internal error, with no stack trace, SQL or driver message.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const tokenLimit = code === 'GRAPHQL_PARSE_FAILED' ? tokenLimitMessage(formatted.message) : undefined;
    if (tokenLimit) return { message: tokenLimit, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    const original = unwrapResolverError(error);
    if (typeof code === 'string' && CLIENT_CODES.has(code) && !(original instanceof Error && isDriverError(original))) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const mapped = fromPrismaError(original);
    if (mapped?.extensions.code === ErrorCode.SERVICE_UNAVAILABLE)
      logger.warn({ err: original, path: formatted.path }, 'database unavailable');
    if (mapped) return { message: mapped.message, path: formatted.path, extensions: mapped.extensions };
    logger.error({ err: original, path: formatted.path }, 'unexpected error');
    return {
      message: 'Internal server error',
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/** Errors from Prisma or the Postgres driver, whatever code Apollo gave them. */
function isDriverError(error: Error): boolean {
  return error.name.startsWith('Prisma') || error.name === 'DriverAdapterError';
}

const HTTP_STATUS_OF_CODE: Record<string, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.TOO_MANY_REQUESTS]: 429,
  [ErrorCode.SERVICE_UNAVAILABLE]: 503,
};

/** A client error that fails a whole HTTP request, given the HTTP status its code stands for. */
export function withHttpStatus(err: unknown): unknown {
  if (!(err instanceof GraphQLError)) return err;
  const status = HTTP_STATUS_OF_CODE[String(err.extensions.code)] ?? 400;
  // RFC 6750: a 401 says which scheme it wants, and that the token given was not good.
  const http =
    status === 401
      ? { status, headers: new HeaderMap([['www-authenticate', 'Bearer error="invalid_token"']]) }
      : { status };
  // Apollo Server reads `http.headers` as a Map (its HeaderMap).
  return new GraphQLError(err.message, { extensions: { ...err.extensions, http } });
}
