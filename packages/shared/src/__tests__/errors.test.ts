import { GraphQLError } from 'graphql';
import { createLogger } from '../logger';
import {
  badUserInput,
  createFormatError,
  fromPrismaError,
  isDatabaseUnavailable,
  isTransientDatabaseError,
  transientDatabaseFailure,
} from '../errors';
import { parseId } from '../ids';

const formatError = createFormatError(createLogger('test', 'silent'));
const format = (error: unknown) => {
  const formatted = error instanceof GraphQLError ? error.toJSON() : { message: String(error), extensions: {} };
  return formatError(formatted, error);
};

describe('errors a client sees', () => {
  it('passes client errors through with their code and without a stack trace', () => {
    const error = badUserInput('quantity must be positive');
    const formatted = format(
      new GraphQLError(error.message, { extensions: { ...error.extensions, stacktrace: ['at x'] } }),
    );
    expect(formatted).toEqual({ message: 'quantity must be positive', extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('hides unexpected errors behind a generic internal error', () => {
    const formatted = format(
      new GraphQLError('connect ECONNREFUSED 10.0.0.5:5432', { originalError: new Error('boom') }),
    );
    expect(formatted).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });

  it('translates Prisma errors a client can cause, without their message', () => {
    const prismaError = Object.assign(new Error('Unique constraint failed on the fields: (`email`)'), {
      code: 'P2002',
    });
    expect(fromPrismaError(prismaError)?.extensions.code).toBe('CONFLICT');
    const formatted = format(
      new GraphQLError(prismaError.message, { originalError: prismaError, path: ['createUser'] }),
    );
    expect(formatted.extensions?.code).toBe('CONFLICT');
    expect(formatted.message).not.toMatch(/email|constraint/);
    expect(fromPrismaError(Object.assign(new Error('x'), { code: 'P2025' }))?.extensions.code).toBe('NOT_FOUND');
    expect(fromPrismaError(new Error('x'))).toBeUndefined();
  });

  it('turns a database that cannot be reached into SERVICE_UNAVAILABLE, retryable', () => {
    const lost = [
      Object.assign(new Error("Can't reach database server at 127.0.0.1:5432"), { code: 'P1001' }),
      Object.assign(new Error('Server has closed the connection.'), { code: 'P1017' }),
      Object.assign(new Error('Timed out fetching a new connection from the connection pool.'), { code: 'P2024' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      Object.assign(new Error('ConnectionClosed'), { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } }), // a failed COMMIT
    ];
    for (const error of lost) {
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(format(new GraphQLError(error.message, { originalError: error, path: ['createRequest'] }))).toEqual({
        message: expect.stringMatching(/try again/),
        path: ['createRequest'],
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true },
      });
    }
    expect(isDatabaseUnavailable(Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }))).toBe(false);
  });
});

describe('parseId', () => {
  it('accepts UUIDs in any case and refuses anything else with BAD_USER_INPUT', () => {
    expect(parseId('66666666-6666-4666-8666-00000000000A')).toBe('66666666-6666-4666-8666-00000000000a');
    expect(() => parseId('42', 'medicineId')).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'medicineId' } }),
    );
  });
});

describe('isTransientDatabaseError', () => {
  const driverError = (cause: object) => Object.assign(new Error('x'), { name: 'DriverAdapterError', cause });

  it('holds for an unreachable database and for lost races, which pass when tried again', () => {
    expect(isTransientDatabaseError(Object.assign(new Error('x'), { code: 'P1001' }))).toBe(true);
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientDatabaseError(Object.assign(new Error('write conflict'), { code: 'P2034' }))).toBe(true);
    expect(isTransientDatabaseError(driverError({ kind: 'postgres', code: '40001' }))).toBe(true); // serialization
    expect(isTransientDatabaseError(driverError({ kind: 'postgres', originalCode: '55P03' }))).toBe(true); // lock timeout
    expect(isTransientDatabaseError(driverError({ kind: 'postgres', code: '40P01' }))).toBe(true); // deadlock
  });

  it("holds for what the driver adapter says inside a raw query's P2010, as a cut mid-statement throws it", () => {
    const rawQueryFailed = (cause: object) =>
      Object.assign(new Error('Raw query failed. Code: `N/A`.'), {
        name: 'PrismaClientKnownRequestError',
        code: 'P2010',
        meta: { driverAdapterError: driverError(cause) },
      });
    expect(
      transientDatabaseFailure(rawQueryFailed({ kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })),
    ).toBe('unavailable');
    expect(transientDatabaseFailure(rawQueryFailed({ kind: 'ConnectionClosed' }))).toBe('unavailable');
    expect(transientDatabaseFailure(rawQueryFailed({ kind: 'postgres', code: '40P01' }))).toBe('contention');
    expect(transientDatabaseFailure(rawQueryFailed({ kind: 'postgres', code: '23505' }))).toBeUndefined();
  });

  it('holds for a server out of connection slots, starting up or shutting down', () => {
    expect(transientDatabaseFailure(driverError({ kind: 'TooManyConnections', originalCode: '53300' }))).toBe(
      'unavailable',
    );
    expect(
      transientDatabaseFailure(Object.assign(new Error('Too many database connections opened'), { code: 'P2037' })),
    ).toBe('unavailable');
    expect(transientDatabaseFailure(new Error('sorry, too many clients already'))).toBe('unavailable');
    expect(transientDatabaseFailure(driverError({ kind: 'postgres', code: '57P01' }))).toBe('unavailable'); // admin shutdown
    expect(transientDatabaseFailure(driverError({ kind: 'postgres', code: '57P03' }))).toBe('unavailable'); // starting up
    expect(transientDatabaseFailure(driverError({ kind: 'postgres', code: '08006' }))).toBe('unavailable'); // connection failure
  });

  it('answers clients SERVICE_UNAVAILABLE, retryable, for every transient failure', () => {
    const deadlock = driverError({ kind: 'postgres', code: '40P01' });
    expect(
      format(new GraphQLError('x', { originalError: deadlock, path: ['updateRequestStatus'] })).extensions,
    ).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    const full = driverError({ kind: 'TooManyConnections' });
    expect(format(new GraphQLError('x', { originalError: full, path: ['createRequest'] })).extensions).toEqual({
      code: 'SERVICE_UNAVAILABLE',
      retryable: true,
    });
  });

  it('does not hold for errors that come again every time', () => {
    expect(isTransientDatabaseError(Object.assign(new Error('x'), { code: 'P2002' }))).toBe(false);
    expect(isTransientDatabaseError(driverError({ kind: 'postgres', code: '23505' }))).toBe(false);
    expect(isTransientDatabaseError(new TypeError('Cannot read properties of undefined'))).toBe(false);
  });
});
