/**
 * The live dashboard in a real browser (Debian's Chromium driven by
 * playwright-core): log in, see a request appear, see its status change.
 * Skipped, and reported as skipped, only where Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestSystem, type TestSystem } from '../src/testing';

const CHROMIUM = '/usr/bin/chromium';
const withBrowser = existsSync(CHROMIUM) ? describe : describe.skip;

withBrowser('the live dashboard', () => {
  let system: TestSystem;
  let browser: Browser;
  beforeAll(async () => {
    system = await startTestSystem();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('shows a new request, then its status change, without reloading', async () => {
    const page = await browser.newPage();
    await page.goto(new URL('/dashboard', system.gatewayUrl).href);
    await page.getByLabel('E-mail').fill('pharmacist@asky.local');
    await page.getByLabel('Password').fill('asky-pharmacist');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Live', { exact: true }).waitFor();
    expect(await page.locator('#login').isHidden()).toBe(true);
    await page.locator('#rows tr').first().waitFor();

    const { nurse, pharmacist } = await system.loginAll();
    const created = await system.graphql(
      'mutation { createRequest(input: { kind: MEDICINE, priority: STAT, medicineId: "22222222-2222-4222-8222-000000000005", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 3 }) { id } }',
      {},
      { token: nurse },
    );
    const id = created.data.createRequest.id;
    const row = page.locator(`#rows tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toMatch(/STAT.*PENDING.*Midazolam.*Ana Souza/);

    await system.graphql(`mutation { updateRequestStatus(id: "${id}", status: ACCEPTED) { status } }`, {}, { token: pharmacist });
    await row.locator('.badge', { hasText: 'ACCEPTED' }).waitFor({ timeout: 10_000 });
    const priorities = await page.locator('#rows tr td:first-child').allTextContents();
    const URGENCY = ['STAT', 'ASAP', 'URGENT', 'ROUTINE'];
    expect(priorities.map((p) => URGENCY.indexOf(p))).toEqual([...priorities.map((p) => URGENCY.indexOf(p))].sort((a, b) => a - b)); // most urgent first
  }, 60_000);
});
