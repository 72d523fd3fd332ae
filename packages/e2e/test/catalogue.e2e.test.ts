import { useTestSystem } from '@asky/testing';

const ctx = useTestSystem();

const names = async (field: 'medicines' | 'materials', args: Record<string, unknown>) => {
  const body = await ctx.system.graphql(
    `query ($search: String, $first: Int, $after: ID) { items: ${field}(search: $search, first: $first, after: $after) { id name } }`,
    args,
    { token: ctx.tokens.technician },
  );
  expect(body.errors).toBeUndefined();
  return body.data.items as { id: string; name: string }[];
};

describe('catalogue search', () => {
  it.each([
    ['medicines', 'dipirona SODICA', ['Dipirona sódica']],
    ['medicines', 'sodio', ['Cloreto de sódio 0,9%']],
    ['medicines', 'MORPHINE', ['Morfina']],
    ['materials', 'mascara', ['Máscara cirúrgica']],
    ['materials', 'ALCOOL', ['Swab de álcool 70%']],
    ['medicines', '%', ['Cloreto de sódio 0,9%']],
    ['medicines', '_', []],
  ] as const)('%s matching "%s" ignore case and accents', async (field, search, expected) => {
    expect((await names(field, { search })).map((m) => m.name)).toEqual(expected);
  });

  it('pages through medicines by name without skipping or repeating', async () => {
    const all = await names('medicines', {});
    expect(all.length).toBeGreaterThanOrEqual(20);
    const paged: string[] = [];
    let after: string | undefined;
    for (
      let page = await names('medicines', { first: 7 });
      page.length;
      page = await names('medicines', { first: 7, after })
    ) {
      paged.push(...page.map((m) => m.id));
      after = page[page.length - 1]!.id;
    }
    expect(paged).toEqual(all.map((m) => m.id));
  });

  it.each([{ first: 0 }, { first: 501 }, { after: 'nope' }, { search: 'x'.repeat(101) }])(
    'refuses %j with BAD_USER_INPUT',
    async (args) => {
      const body = await ctx.system.graphql(
        `query ($search: String, $first: Int, $after: ID) { medicines(search: $search, first: $first, after: $after) { id } }`,
        args,
        { token: ctx.tokens.technician },
      );
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    },
  );
});
