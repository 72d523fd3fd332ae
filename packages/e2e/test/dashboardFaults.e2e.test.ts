/**
 * A board in a real browser (Debian's Chromium) through a Postgres blip: when an
 * update cannot be read (pyxis' database cut, through a proxy), the board says
 * it is not live instead of staying silently stale, and once the database is
 * back it loads what it missed by itself — no reload.
 * Skipped, and reported as skipped, only where Chromium is not installed.
 */
import type { Browser } from 'playwright-core';
import { MOCK_USERS, startTestSystem, TcpProxy, type TestSystem } from '@asky/testing';
import { hasChromium, launchChromium } from './helpers/browser';

const withBrowser = hasChromium ? describe : describe.skip;

withBrowser('a board through a database blip', () => {
  let system: TestSystem;
  let database: TcpProxy;
  let browser: Browser;
  beforeAll(async () => {
    database = TcpProxy.toDatabase();
    await database.start();
    system = await startTestSystem({ databaseProxy: database, proxiedSubgraphs: ['pyxis'], userStatusTtlMs: 60_000 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await database?.cut().catch(() => undefined);
  });

  it('shows "Not live" when an update cannot be read, then catches up by itself once it can', async () => {
    const nurse = await system.login(...MOCK_USERS.nurse);
    const create = async () => {
      const body = await system.graphql(
        'mutation { createRequest(input: { kind: MEDICINE, priority: STAT, medicineId: "22222222-2222-4222-8222-000000000002", dispenserId: "44444444-4444-4444-8444-000000000001", quantity: 1 }) { id } }',
        {},
        { token: nurse },
      );
      expect(body.errors).toBeUndefined();
      return body.data.createRequest.id as string;
    };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(new URL('/dashboard/?lang=en', system.gatewayUrl).href);
    await page.getByLabel('E-mail').fill(MOCK_USERS.pharmacist[0]);
    await page.getByLabel('Password').fill(MOCK_USERS.pharmacist[1]);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Live', { exact: true }).waitFor();
    const first = await create(); // the request service now keeps pyxis' answers a few seconds
    await page.locator(`#rows tr[data-id="${first}"]`).waitFor({ timeout: 10_000 });

    await database.cut();
    const during = await create();
    await page.locator('#banner').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('#connection').textContent()).toBe('Not live');

    await database.start();
    await page.locator(`#rows tr[data-id="${during}"]`).waitFor({ timeout: 30_000 });
    await page.locator('#banner').waitFor({ state: 'hidden', timeout: 10_000 });
    expect(await page.locator('#connection').textContent()).toBe('Live');
    await page.close();
  }, 90_000);
});
