/**
 * The Relay connections beside the lists: the same items in the same order, page
 * by page with `pageInfo`, cursors the lists accept too, and the cost limit
 * weighing a connection as the list it pages.
 */
import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem();
const gql = (query: string, variables: Record<string, unknown> = {}, token = ctx.tokens.admin) =>
  ctx.system.graphql<any>(query, variables, { token });

// A few more waiting requests, so the queue has pages.
beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const { errors } = await gql(
      'mutation { createRequest(input: { kind: ASSISTANCE, assistanceTypeId: "55555555-5555-4555-8555-000000000002", dispenserId: "44444444-4444-4444-8444-000000000001", note: "Gaveta 3 travada" }) { id } }',
      {},
      ctx.tokens.nurse,
    );
    expect(errors).toBeUndefined();
  }
});

interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** Every page of `field`, `first` at a time, following `endCursor` until `hasNextPage` is false. */
async function walk(
  field: string,
  args: string,
  first: number,
  token?: string,
): Promise<{ ids: string[]; pages: Page[] }> {
  const pages: Page[] = [];
  let after: string | null = null;
  do {
    const { data, errors } = await gql(
      `query ($first: Int, $after: String) { page: ${field}(${args}first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
      { first, after },
      token,
    );
    expect(errors).toBeUndefined();
    pages.push(data.page);
    after = data.page.pageInfo.hasNextPage ? data.page.pageInfo.endCursor : null;
  } while (after && pages.length < 100);
  return { ids: pages.flatMap((p) => p.edges.map((e) => e.node.id)), pages };
}

describe.each([
  ['medicinesConnection', 'medicines', '', 'ID', 2],
  ['materialsConnection', 'materials', '', 'ID', 2],
  ['requestsConnection', 'requests', '', 'String', 2],
  ['queueConnection', 'queue', '', 'String', 2],
])('%s', (connection, list, args, afterType, size) => {
  it(`pages through the same items as ${list}, in its order, with pageInfo`, async () => {
    const all = await gql(`{ items: ${list}(${args}first: 200) { id } }`);
    const expected = (all.data.items as { id: string }[]).map((i) => i.id);
    expect(expected.length).toBeGreaterThan(size);
    const { ids, pages } = await walk(connection, args, size);
    expect(ids).toEqual(expected);
    expect(pages.length).toBe(Math.ceil(expected.length / size));
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual(pages.map((_, i) => i < pages.length - 1));
    expect(pages.map((p) => p.pageInfo.hasPreviousPage)).toEqual(pages.map((_, i) => i > 0));
    for (const page of pages) {
      expect(page.pageInfo.startCursor).toBe(page.edges[0]!.cursor);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
    }
  });

  it(`gives cursors that ${list}' after accepts`, async () => {
    const { data } = await gql(`{ page: ${connection}(${args}first: 1) { pageInfo { endCursor } } }`);
    const cursor = data.page.pageInfo.endCursor as string;
    const fromList = await gql(
      `query ($after: ${afterType}) { items: ${list}(${args}first: 3, after: $after) { id } }`,
      { after: cursor },
    );
    const fromConnection = await gql(
      `query ($after: String) { page: ${connection}(${args}first: 3, after: $after) { edges { node { id } } } }`,
      { after: cursor },
    );
    expect(fromConnection.data.page.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(
      fromList.data.items.map((i: { id: string }) => i.id),
    );
  });
});

it("keeps each person to what the list shows her: a nurse's myRequestsConnection is her myRequests", async () => {
  const own = await gql('{ myRequests(first: 200) { id } }', {}, ctx.tokens.nurse);
  const { ids } = await walk('myRequestsConnection', '', 3, ctx.tokens.nurse);
  expect(ids).toEqual(own.data.myRequests.map((r: { id: string }) => r.id));
  const board = await gql(
    '{ page: requestsConnection(first: 200) { edges { node { requester { email } } } } }',
    {},
    ctx.tokens.nurse,
  );
  expect(
    new Set(board.data.page.edges.map((e: { node: { requester: { email: string } } }) => e.node.requester.email)),
  ).toEqual(new Set(['nurse@asky.local']));
});

it('an empty page has no cursors and no next page', async () => {
  const { data } = await gql(
    '{ page: medicinesConnection(search: "no such medicine anywhere") { edges { cursor } pageInfo { hasNextPage startCursor endCursor } } }',
  );
  expect(data.page).toEqual({ edges: [], pageInfo: { hasNextPage: false, startCursor: null, endCursor: null } });
});

it('refuses a bad cursor or page size as the lists do', async () => {
  for (const args of ['after: "nope"', 'first: 0', 'first: 501']) {
    const { errors } = await gql(`{ page: medicinesConnection(${args}) { edges { cursor } } }`);
    expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  }
});

it('weighs a connection as the list it pages in the cost limit', async () => {
  const fields = 'id requester { name } medicine { name locations { quantity } }';
  const asList = await gql(`{ requests(first: 5000) { ${fields} } }`);
  const asConnection = await gql(`{ requestsConnection(first: 5000) { edges { node { ${fields} } } } }`);
  expect(asList.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect(asConnection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const small = await gql(`{ requestsConnection(first: 5) { edges { node { ${fields} } } pageInfo { hasNextPage } } }`);
  expect(small.errors).toBeUndefined();
});
