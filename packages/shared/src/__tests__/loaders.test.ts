import { createByIdLoader, createGroupLoader } from '../loaders';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('createByIdLoader', () => {
  it('fetches every id asked for in one tick with one call, and answers each in order', async () => {
    const calls: string[][] = [];
    const loader = createByIdLoader(async (ids) => {
      calls.push(ids);
      return ids
        .filter((x) => x !== id(2))
        .reverse()
        .map((x) => ({ id: x, name: `n${x.slice(-1)}` }));
    });
    const results = await Promise.all([1, 2, 3, 1].map((n) => loader.load(id(n))));
    expect(calls).toEqual([[id(1), id(2), id(3)]]);
    expect(results).toEqual([{ id: id(1), name: 'n1' }, null, { id: id(3), name: 'n3' }, { id: id(1), name: 'n1' }]);
  });

  it('answers null for ids that are not UUIDs without querying', async () => {
    const fetchMany = jest.fn(async () => []);
    const loader = createByIdLoader(fetchMany);
    expect(await loader.load("1'; DROP TABLE x")).toBeNull();
    expect(fetchMany).not.toHaveBeenCalled();
  });
});

describe('createGroupLoader', () => {
  it('groups the rows of many keys fetched at once', async () => {
    const fetchMany = jest.fn(async (keys: string[]) =>
      [
        { owner: 'a', n: 1 },
        { owner: 'b', n: 2 },
        { owner: 'a', n: 3 },
      ].filter((r) => keys.includes(r.owner)),
    );
    const loader = createGroupLoader(fetchMany, (row) => row.owner);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((k) => loader.load(k)));
    expect(fetchMany).toHaveBeenCalledTimes(1);
    expect(a!.map((r) => r.n)).toEqual([1, 3]);
    expect(b!.map((r) => r.n)).toEqual([2]);
    expect(c).toEqual([]);
  });
});
