import { randomBytes, scryptSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { DerivationSlots, hashPassword, verifyPassword } from '../password';
import { SCRYPT_NICE, ScryptThreads } from '../scryptThreads';

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one, with a fresh salt each time', async () => {
    const [first, second] = await Promise.all([hashPassword('correct horse'), hashPassword('correct horse')]);
    expect(first).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(first).not.toBe(second);
    expect(await verifyPassword('correct horse', first)).toBe(true);
    expect(await verifyPassword('correct hors', first)).toBe(false);
  });

  it('refuses malformed stored hashes instead of throwing', async () => {
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'md5$abc$def')).toBe(false);
  });
});

describe('DerivationSlots', () => {
  /** Work the test finishes by hand. */
  const gate = () => {
    let open: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (open = resolve));
    return { open, work: () => done };
  };

  it('runs a few at a time, a login ahead of new passwords, and refuses past its queue', async () => {
    const slots = new DerivationSlots(2, 3, 60_000);
    const order: string[] = [];
    const running = [gate(), gate()];
    const first = running.map((g, i) => slots.run('new-password', async () => (order.push(`run${i}`), g.work())));
    const queued = [
      slots.run('new-password', async () => void order.push('new')),
      slots.run('new-password', async () => void order.push('new2')),
      slots.run('login', async () => void order.push('login')),
    ];
    await expect(slots.run('login', async () => undefined)).rejects.toMatchObject({
      extensions: { code: 'TOO_MANY_REQUESTS' },
    });
    expect(order).toEqual(['run0', 'run1']); // the others wait
    running[0]!.open();
    await first[0];
    await queued[2];
    expect(order[2]).toBe('login'); // the login went first
    running[1]!.open();
    await Promise.all([...first, ...queued]);
    expect(order.slice(3).sort()).toEqual(['new', 'new2']);
    await expect(slots.run('login', async () => 'free again')).resolves.toBe('free again');
  });

  it('tells a caller to retry rather than wait longer than its bound', async () => {
    const slots = new DerivationSlots(1, 64, 1); // any wait is too long
    const running = gate();
    const first = slots.run('new-password', running.work);
    await expect(slots.run('login', async () => undefined)).rejects.toMatchObject({
      extensions: { code: 'TOO_MANY_REQUESTS', retryAfter: expect.any(Number) },
    });
    running.open();
    await first;
    await expect(slots.run('login', async () => 'no wait')).resolves.toBe('no wait');
  });
});

describe('ScryptThreads', () => {
  it('derives the key node:crypto derives, on a thread of lower priority (Linux)', async () => {
    const threads = new ScryptThreads(1);
    const salt = randomBytes(16);
    const options = { N: 2 ** 10, r: 8, p: 1 };
    expect(
      (await threads.derive('é pässwörd', salt, 32, options)).equals(scryptSync('é pässwörd', salt, 32, options)),
    ).toBe(true);
    await expect(threads.derive('x', salt, 32, { N: 3 })).rejects.toThrow(/N|param/i); // N must be a power of two
    if (process.platform !== 'linux') return;
    // The hashing thread is the one task of this process at the niceness it gave itself.
    const niceOf = (tid: string) =>
      Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const niced = readdirSync('/proc/self/task').filter((tid) => niceOf(tid) === SCRYPT_NICE);
    expect(niced.length).toBeGreaterThanOrEqual(1);
    expect(niceOf(String(process.pid))).toBe(0); // serving keeps its priority
  });
});
