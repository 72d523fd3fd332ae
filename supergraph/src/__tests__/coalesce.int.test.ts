/**
 * Identical queries of one caller in flight run once; other callers, other
 * variables, mutations, queries after one's own write and queries after a
 * failed one run on their own. Against Apollo Server with a schema whose
 * resolvers are slow and count their runs.
 */
import { ApolloServer } from '@apollo/server';
import { coalesceIdenticalQueries } from '../coalesce';

interface Caller {
  readonly authorization: string;
  readonly fresh?: boolean;
  readonly requestId?: string;
}

let runs: string[] = [];
let failNext = false;
const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const coalescing = coalesceIdenticalQueries<Caller>({
  callerOf: (caller) => (caller.fresh ? undefined : caller.authorization),
  requestIdOf: (caller) => caller.requestId,
});
const debug: string[] = [];
const server = new ApolloServer<Caller>({
  typeDefs: 'type Query { shelf(code: String): String } type Mutation { restock: Boolean }',
  resolvers: {
    Query: {
      shelf: async (_: unknown, { code }: { code?: string }, { authorization }: Caller) => {
        runs.push(`${authorization}:${code ?? ''}`);
        if (failNext) {
          failNext = false;
          throw new Error('drawer jammed');
        }
        return after(200, `${code ?? 'all'} for ${authorization}`);
      },
    },
    Mutation: {
      restock: (_: unknown, __: unknown, { authorization }: Caller) => {
        runs.push(`restock:${authorization}`);
        return after(50, true);
      },
    },
  },
  plugins: [coalescing.plugin],
  logger: {
    debug: (message: string) => debug.push(message),
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  },
});
beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => (runs = []));

const ask = async (
  authorization: string,
  query: string,
  variables?: Record<string, unknown>,
  fresh?: boolean,
  requestId?: string,
) => {
  const { body } = await server.executeOperation(
    { query, variables },
    { contextValue: { authorization, fresh, requestId } },
  );
  if (body.kind !== 'single') throw new Error('expected a single result');
  return body.singleResult;
};
const SHELF = 'query ($code: String) { shelf(code: $code) }';

it('runs identical queries of one caller in flight once, and each gets the answer', async () => {
  const answers = await Promise.all(Array.from({ length: 5 }, () => ask('a', SHELF, { code: 'A1' })));
  expect(runs).toEqual(['a:A1']);
  for (const answer of answers) expect(answer).toEqual({ data: { shelf: 'A1 for a' } });
  await ask('a', SHELF, { code: 'A1' }); // answered: the next one runs again
  expect(runs).toHaveLength(2);
});

it('never shares between callers or different variables', async () => {
  const [a, b, other] = await Promise.all([
    ask('a', SHELF, { code: 'A1' }),
    ask('b', SHELF, { code: 'A1' }),
    ask('a', SHELF, { code: 'B2' }),
  ]);
  expect(runs.sort()).toEqual(['a:A1', 'a:B2', 'b:A1']);
  expect(a.data).toEqual({ shelf: 'A1 for a' });
  expect(b.data).toEqual({ shelf: 'A1 for b' });
  expect(other.data).toEqual({ shelf: 'B2 for a' });
});

describe("a query sent after the caller's own write", () => {
  it('does not join a query in flight since before the write', async () => {
    const first = [ask('a', SHELF, { code: 'A1' }), ask('b', SHELF, { code: 'A1' })];
    await after(20, null);
    await ask('a', 'mutation { restock }'); // ends while both queries are still being executed
    await Promise.all([...first, ask('a', SHELF, { code: 'A1' }), ask('b', SHELF, { code: 'A1' })]);
    expect(runs.filter((r) => r === 'a:A1')).toHaveLength(2); // a's second query ran on its own
    expect(runs.filter((r) => r === 'b:A1')).toHaveLength(1); // b wrote nothing: shared
  });

  it('does not join a query begun while the write was being made', async () => {
    const write = ask('a', 'mutation { restock }');
    await after(10, null);
    const during = ask('a', SHELF, { code: 'A1' });
    await write;
    await Promise.all([during, ask('a', SHELF, { code: 'A1' })]);
    expect(runs.filter((r) => r === 'a:A1')).toHaveLength(2);
  });
});

it('does not join a query in flight since before an event (closeAll): a refetch on a live update reads after it', async () => {
  const before = ask('a', SHELF, { code: 'A1' });
  await after(20, null);
  coalescing.closeAll(); // the gateway got a request event
  await Promise.all([before, ask('a', SHELF, { code: 'A1' })]);
  expect(runs).toEqual(['a:A1', 'a:A1']);
});

it('never shares a read that must be fresh (a live follow-up), in either direction', async () => {
  await Promise.all([
    ask('a', SHELF, { code: 'A1' }),
    ask('a', SHELF, { code: 'A1' }, true),
    ask('a', SHELF, { code: 'A1' }, true),
  ]);
  expect(runs).toEqual(['a:A1', 'a:A1', 'a:A1']);
});

it('runs the waiting queries on their own when the first one fails', async () => {
  failNext = true;
  const answers = await Promise.all(Array.from({ length: 3 }, () => ask('a', SHELF, { code: 'C3' })));
  expect(answers[0]!.errors?.[0]?.message).toBe('drawer jammed');
  expect(answers.slice(1).every((answer) => answer.data?.shelf === 'C3 for a' && !answer.errors)).toBe(true);
  expect(runs).toHaveLength(3);
});

it('never shares mutations', async () => {
  const answers = await Promise.all(Array.from({ length: 3 }, () => ask('a', 'mutation { restock }')));
  expect(runs).toEqual(['restock:a', 'restock:a', 'restock:a']);
  for (const answer of answers) expect(answer.data).toEqual({ restock: true });
});

it('names, for a query answered so, the request whose execution answered it (the one the subgraphs saw)', async () => {
  debug.length = 0;
  await Promise.all([
    ask('a', SHELF, { code: 'D4' }, false, 'first-id'),
    ask('a', SHELF, { code: 'D4' }, false, 'second-id'),
  ]);
  expect(runs).toEqual(['a:D4']);
  expect(debug.map((line) => JSON.parse(line))).toEqual([{ requestId: 'second-id', answeredWith: 'first-id' }]);
});

describe('a query waiting for an identical one', () => {
  const bounded = coalesceIdenticalQueries<Caller>({ callerOf: (caller) => caller.authorization, maxWaitMs: 100 });
  const slow = new ApolloServer<Caller>({
    typeDefs: 'type Query { count: Int }',
    resolvers: { Query: { count: () => (runs.push('count'), after(2_000, 7)) } },
    plugins: [bounded.plugin],
  });
  beforeAll(() => slow.start());
  afterAll(() => slow.stop());

  it('waits no longer than maxWaitMs: past it, it runs on its own', async () => {
    const answers = await Promise.all(
      [0, 1].map(() => slow.executeOperation({ query: '{ count }' }, { contextValue: { authorization: 'a' } })),
    );
    expect(runs).toEqual(['count', 'count']);
    for (const { body } of answers) expect(body.kind === 'single' && body.singleResult.data).toEqual({ count: 7 });
  });
});
