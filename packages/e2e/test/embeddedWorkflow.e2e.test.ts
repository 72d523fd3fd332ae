/**
 * README's quick start is the whole product, not a demo: on the embedded default
 * (`npm start` with no DATABASE_URL: one PGlite, one connection, the in-process
 * bus) a pharmacist accepts a medicine request with its stock held, prepares,
 * picks up and completes it, and the cabinet's count goes down; a cancelled one
 * gives its hold back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, MOCK_USERS, postGraphQL } from '@asky/testing';
import { embeddedEnv, launch, type Launch } from './helpers/launcher';
import { hasChromium, launchChromium } from './helpers/browser';

const DIPIRONA = '22222222-2222-4222-8222-000000000001';
/** Where Chromium is not installed, the browser test is reported as skipped. */
const inBrowser = hasChromium ? it : it.skip;

let launcher: Launch;
let gatewayUrl: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'asky-embedded-'));
  launcher = launch(embeddedEnv(dataDir), 170_000);
  gatewayUrl = await launcher.up;
}, 120_000);

afterAll(async () => {
  launcher?.interrupt();
  await launcher?.exit;
  rmSync(dataDir, { recursive: true, force: true });
});

const call = async <T = any>(token: string | null, query: string, variables: Record<string, unknown> = {}) => {
  const body = await postGraphQL<T>(gatewayUrl, query, variables, token ? { authorization: `Bearer ${token}` } : {});
  expect(body.errors).toBeUndefined();
  return body.data!;
};

const login = async (who: keyof typeof MOCK_USERS) => {
  const [email, password] = MOCK_USERS[who];
  const data = await call<{ login: { accessToken: string } }>(
    null,
    'mutation ($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }',
    { email, password },
  );
  return data.login.accessToken;
};

interface Location {
  dispenser: { id: string; status?: string };
  quantity: number;
  reserved: number;
  available: number;
}

/** Dipirona at one dispenser (by default the working one with the most available), summed over its slots there. */
async function stockAt(token: string, dispenserId?: string): Promise<Location> {
  const { medicines } = await call<{ medicines: { id: string; locations: Location[] }[] }>(
    token,
    '{ medicines(search: "Dipirona", first: 5) { id locations { dispenser { id status } quantity reserved available } } }',
  );
  const locations = medicines.find((m) => m.id === DIPIRONA)!.locations;
  const id =
    dispenserId ??
    locations.filter((l) => l.dispenser.status === 'ACTIVE').sort((a, b) => b.available - a.available)[0]!.dispenser.id;
  const here = locations.filter((l) => l.dispenser.id === id);
  return {
    dispenser: { id },
    ...Object.fromEntries(
      (['quantity', 'reserved', 'available'] as const).map((k) => [k, here.reduce((sum, l) => sum + l[k], 0)]),
    ),
  } as Location;
}

const MOVE =
  'mutation ($id: ID!, $status: RequestStatus!) { updateRequestStatus(id: $id, status: $status) { status } }';

describe('on the embedded default, the whole request workflow', () => {
  it('accepts with a hold, prepares, picks up and completes a medicine request, taking it out of the cabinet', async () => {
    const [nurse, pharmacist] = [await login('nurse'), await login('pharmacist')];
    const before = await stockAt(pharmacist);
    expect(before.available).toBeGreaterThanOrEqual(2);
    const { createRequest } = await call(
      nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id status } }',
      {
        input: {
          kind: 'MEDICINE',
          priority: 'URGENT',
          medicineId: DIPIRONA,
          dispenserId: before.dispenser.id,
          quantity: 2,
        },
      },
    );
    const accepted = await postGraphQL<any>(
      gatewayUrl,
      MOVE,
      { id: createRequest.id, status: 'ACCEPTED' },
      { authorization: `Bearer ${pharmacist}` },
    );
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.updateRequestStatus.status).toBe('ACCEPTED');
    expect(await stockAt(pharmacist, before.dispenser.id)).toMatchObject({
      quantity: before.quantity,
      reserved: before.reserved + 2,
    });
    for (const status of ['PREPARING', 'IN_TRANSIT', 'COMPLETED']) {
      expect((await call(pharmacist, MOVE, { id: createRequest.id, status })).updateRequestStatus.status).toBe(status);
    }
    const after = await eventually(
      () => stockAt(pharmacist, before.dispenser.id),
      (s) => s.quantity === before.quantity - 2,
    );
    expect(after).toMatchObject({ quantity: before.quantity - 2, reserved: before.reserved });
  }, 60_000);

  it('gives back the hold of a request cancelled after its acceptance', async () => {
    const [nurse, pharmacist] = [await login('nurse'), await login('pharmacist')];
    const before = await stockAt(pharmacist);
    const { createRequest } = await call(
      nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          priority: 'ROUTINE',
          medicineId: DIPIRONA,
          dispenserId: before.dispenser.id,
          quantity: 1,
        },
      },
    );
    await call(pharmacist, MOVE, { id: createRequest.id, status: 'ACCEPTED' });
    expect((await stockAt(pharmacist, before.dispenser.id)).reserved).toBe(before.reserved + 1);
    expect((await call(nurse, MOVE, { id: createRequest.id, status: 'CANCELLED' })).updateRequestStatus.status).toBe(
      'CANCELLED',
    );
    expect(await stockAt(pharmacist, before.dispenser.id)).toMatchObject({
      quantity: before.quantity,
      reserved: before.reserved,
    });
  }, 60_000);

  it("refuses one logged-in caller's operations past 50 a second, as README documents, and not another caller's", async () => {
    const [nurse, pharmacist] = [await login('nurse'), await login('pharmacist')];
    const ask = (token: string) =>
      fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{"query":"{ me { id } }"}',
      }).then((r) => r.status);
    const statuses = await Promise.all(Array.from({ length: 150 }, () => ask(nurse)));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(await ask(pharmacist)).toBe(200);
  }, 60_000);

  inBrowser(
    "lets the pharmacist accept and complete a nurse's request from the dashboard's buttons",
    async () => {
      const nurse = await login('nurse');
      const before = await stockAt(await login('pharmacist'));
      const { createRequest } = await call(
        nurse,
        'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
        {
          input: {
            kind: 'MEDICINE',
            priority: 'STAT',
            medicineId: DIPIRONA,
            dispenserId: before.dispenser.id,
            quantity: 1,
          },
        },
      );
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        await page.goto(new URL('/dashboard/?lang=en', gatewayUrl).href);
        await page.getByLabel('E-mail').fill(MOCK_USERS.pharmacist[0]);
        await page.getByLabel('Password').fill(MOCK_USERS.pharmacist[1]);
        await page.getByRole('button', { name: 'Log in' }).click();
        const row = page.locator(`#rows tr[data-id="${createRequest.id}"]`);
        await row.waitFor({ timeout: 20_000 });
        // Accept, then each next step, until it is handed over.
        for (const status of ['ACCEPTED', 'PREPARING', 'IN TRANSIT', 'COMPLETED']) {
          await row.locator('button').first().click();
          await row.locator('.badge', { hasText: status }).waitFor({ timeout: 20_000 });
        }
      } finally {
        await browser.close();
      }
      const after = await eventually(
        () => stockAt(nurse, before.dispenser.id),
        (s) => s.quantity === before.quantity - 1,
      );
      expect(after.quantity).toBe(before.quantity - 1);
    },
    90_000,
  );
});
