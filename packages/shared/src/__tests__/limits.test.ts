import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse } from 'graphql';
import { operationGuard } from '../limits';

const schema = buildSchema(`
  type Medicine { id: ID! name: String }
  type Query {
    medicines(search: String, first: Int): [Medicine!]!
    byIds(ids: [ID!]!): [Medicine]!
  }
`);
const page = parse(
  'query Page($search: String, $first: Int = 20, $withNames: Boolean!) { medicines(search: $search, first: $first) { id name @include(if: $withNames) } }',
);
const byIds = parse('query ($ids: [ID!]!) { byIds(ids: $ids) { id name } }');

describe('operation cost', () => {
  const guard = operationGuard();
  const cost = (document = page, variables: Record<string, unknown> = {}) =>
    guard.checkCost({ schema, document, variables, operationName: null });

  it('prices the same document again by the variables that size it', () => {
    expect(cost(page, { first: 10, withNames: true })).toBeLessThan(cost(page, { first: 100, withNames: true }));
    expect(() => cost(page, { first: 5_000, withNames: true })).toThrow(/Query cost limit of 10000 exceeded/);
    expect(cost(page, { withNames: false })).toBeLessThan(cost(page, { withNames: true }));
  });

  it('tells an unset count (its default applies) from an explicit null', () => {
    expect(cost(page, { withNames: true })).toBe(cost(page, { first: 20, withNames: true }));
    expect(cost(page, { first: null, withNames: true })).toBe(cost(page, { first: 10, withNames: true }));
  });

  it('prices a list of ids by its length, not its contents', () => {
    const few = cost(byIds, { ids: ['a', 'b'] });
    expect(cost(byIds, { ids: ['c', 'd'] })).toBe(few);
    expect(() => cost(byIds, { ids: Array.from({ length: 20_000 }, (_, i) => String(i)) })).toThrow(/exceeded/);
  });

  it('does not price again a document whose other variables alone changed', () => {
    let passes = 0; // a pricing pass asks the schema for its query type
    const counted = new Proxy(schema, {
      get: (target, name, receiver) => (name === 'getQueryType' && passes++, Reflect.get(target, name, receiver)),
    });
    const fresh = operationGuard();
    const price = (search: string) =>
      fresh.checkCost({
        schema: counted,
        document: page,
        variables: { search, first: 10, withNames: true },
        operationName: 'Page',
      });
    const first = price('dipirona');
    const afterOne = passes;
    expect(afterOne).toBeGreaterThan(0);
    expect(price('morfina')).toBe(first);
    expect(passes).toBe(afterOne);
  });
});
