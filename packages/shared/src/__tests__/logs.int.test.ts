/**
 * What operators read at `info`: failures and refused callers, each with the
 * request id the client got back, and only JSON lines in production.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parse } from 'graphql';
import pino from 'pino';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { callerGone, unauthenticated, withHttpStatus } from '../errors';
import { startService, type RunningService } from '../service';

const typeDefs = parse('type Query { refused: String  broken: String  fine: String  left: String }');
const schema = buildSubgraphSchema([
  {
    typeDefs,
    resolvers: {
      Query: {
        refused: () => {
          throw unauthenticated('Invalid e-mail or password');
        },
        broken: () => {
          throw new Error('connection to 10.0.0.7 reset');
        },
        fine: () => 'ok',
        left: () => {
          throw callerGone();
        },
      },
    },
  },
]);

describe('access logs at info', () => {
  let service: RunningService;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    const logger = pino({ level: 'info', base: undefined }, { write: (line: string) => lines.push(JSON.parse(line)) });
    service = await startService({
      name: 'test',
      port: 0,
      portVariable: 'TEST_PORT',
      production: true,
      logger,
      apollo: { schema },
      context: async (req) => {
        if (req.headers.authorization === 'Bearer forged') throw withHttpStatus(unauthenticated('Invalid token'));
        return {};
      },
      ready: async () => true,
    });
  });
  afterAll(() => service.stop());

  const ask = async (query: string, headers: Record<string, string> = {}) => {
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return { status: response.status, requestId: response.headers.get('x-request-id')! };
  };
  const linesOf = (requestId: string) => lines.filter((line) => line.requestId === requestId);

  it('logs a refusal inside a 200 answer (a failed login) with its request id and code', async () => {
    const { status, requestId } = await ask('query Login { refused }');
    expect(status).toBe(200);
    expect(linesOf(requestId)).toEqual([
      expect.objectContaining({ level: 30, msg: 'operation refused', operation: 'Login', codes: ['UNAUTHENTICATED'] }),
    ]);
  });

  it("logs at most 100 characters of a caller's operation name", async () => {
    const { requestId } = await ask(`query ${'A'.repeat(5_000)} { refused }`);
    expect(linesOf(requestId)).toEqual([expect.objectContaining({ operation: 'A'.repeat(100) })]);
  });

  it('logs an operation stopped because its caller left at info, not as a failure', async () => {
    const { requestId } = await ask('{ left }');
    expect(linesOf(requestId)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'operation abandoned: the caller went away',
        codes: ['SERVICE_UNAVAILABLE'],
      }),
    ]);
  });

  it('logs an internal error with its request id, at error', async () => {
    const { requestId } = await ask('{ broken }');
    expect(linesOf(requestId)).toEqual([
      expect.objectContaining({ level: 50, msg: 'operation failed', codes: ['INTERNAL_SERVER_ERROR'] }),
    ]);
  });

  it('logs a 401 (a bad token, refused before GraphQL runs) once, keeping the id the caller sent', async () => {
    const { status, requestId } = await ask('{ fine }', {
      authorization: 'Bearer forged',
      'x-request-id': 'ward-7-terminal-42',
    });
    expect([status, requestId]).toEqual([401, 'ward-7-terminal-42']);
    expect(linesOf(requestId)).toEqual([
      expect.objectContaining({ level: 30, msg: 'request refused', status: 401, path: '/graphql' }),
    ]);
  });

  it('logs nothing at info for an answer that went well', async () => {
    const { requestId } = await ask('{ fine }');
    expect(linesOf(requestId)).toEqual([]);
  });
});

describe('a production process', () => {
  it('writes its start and shutdown lines as JSON', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=typescript', '--import', 'tsx', path.join(__dirname, 'fixtures/runMainProcess.ts')],
      {
        env: { ...process.env, NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'SIGTERM received, stopping…',
        signal: 'SIGTERM',
        time: expect.any(String),
      }),
    ]);
  }, 30_000);
});
