/**
 * The live dashboard in a real browser (Debian's Chromium driven by
 * playwright-core): log in, see a request appear, see its status change; open
 * work only, most urgent first, overdue and controlled marked; the pharmacist's
 * buttons; a dropped connection shown loudly, re-established by itself, and
 * what changed meanwhile refetched; closed requests leaving the screen.
 * `UPDATE_SCREENSHOTS=1` writes README's screenshot (docs/dashboard.png).
 * Skipped, and reported as skipped, only where Chromium is not installed.
 */
import path from 'node:path';
import { REPO_ROOT } from '@asky/launcher';
import type { Browser, BrowserContext } from 'playwright-core';
import { startTestSystem, type TestSystem } from '@asky/testing';
import { hasChromium, launchChromium } from './helpers/browser';

const withBrowser = hasChromium ? describe : describe.skip;

withBrowser('the live dashboard', () => {
  let system: TestSystem;
  let browser: Browser;
  beforeAll(async () => {
    system = await startTestSystem();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  async function loggedIn(email: string, password: string, search = '', on = system, context?: BrowserContext) {
    const page = await (context ?? browser).newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(new URL(`/dashboard/${search}`, on.gatewayUrl).href);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('Live', { exact: true }).waitFor();
    await page.locator('#rows tr').first().waitFor();
    return page;
  }

  async function create(token: string, medicineId: string, on = system): Promise<string> {
    const body = await on.graphql(
      'mutation ($m: ID!) { createRequest(input: { kind: MEDICINE, priority: STAT, medicineId: $m, dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 2, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
      { m: medicineId },
      { token },
    );
    expect(body.errors).toBeUndefined();
    return body.data.createRequest.id;
  }

  it('shows a new request, then its status change, without reloading', async () => {
    const page = await loggedIn('pharmacist@asky.local', 'asky-pharmacist');
    expect(await page.locator('#login').isHidden()).toBe(true);

    const { nurse, pharmacist } = await system.loginAll();
    const created = await system.graphql(
      'mutation { createRequest(input: { kind: MEDICINE, priority: STAT, medicineId: "22222222-2222-4222-8222-000000000005", dispenserId: "44444444-4444-4444-8444-000000000002", quantity: 3, patient: { identifier: "MRN-1001" }, orderId: "RX-1001" }) { id } }',
      {},
      { token: nurse },
    );
    const id = created.data.createRequest.id;
    const row = page.locator(`#rows tr[data-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toMatch(/STAT.*PENDING.*Midazolam.*Ana Souza/);

    await system.graphql(
      `mutation { updateRequestStatus(id: "${id}", status: ACCEPTED) { status } }`,
      {},
      { token: pharmacist },
    );
    await row.locator('.badge', { hasText: 'ACCEPTED' }).waitFor({ timeout: 10_000 });
    const priorities = await page.locator('#rows tr td:first-child').allTextContents();
    const URGENCY = ['STAT', 'ASAP', 'URGENT', 'ROUTINE'];
    expect(priorities.map((p) => URGENCY.indexOf(p))).toEqual(
      [...priorities.map((p) => URGENCY.indexOf(p))].sort((a, b) => a - b),
    ); // most urgent first
  }, 60_000);

  it('shows open work only, marks what is overdue or controlled, and gives the pharmacist the buttons', async () => {
    const page = await loggedIn('pharmacist@asky.local', 'asky-pharmacist', '?closedSeconds=2');
    const statuses = await page.locator('#rows .badge').allTextContents();
    expect(statuses.length).toBeGreaterThan(0);
    for (const status of statuses)
      expect(['PENDING', 'ACCEPTED', 'PREPARING', 'IN TRANSIT', 'IN PROGRESS']).toContain(status);
    // The mock STAT request has waited five minutes, past its two.
    const stat = page.locator('#rows tr[data-id="66666666-6666-4666-8666-000000000001"]');
    expect(await stat.getAttribute('class')).toContain('overdue');

    const { nurse } = await system.loginAll();
    const id = await create(nurse, '22222222-2222-4222-8222-000000000005'); // Midazolam: controlled
    const row = page.locator(`#rows tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Midazolam × 2 ampouleCONTROLLED/);
    await row.getByRole('button', { name: 'Accept' }).click();
    await row.locator('.badge', { hasText: 'ACCEPTED' }).waitFor();
    expect(await row.textContent()).toContain('Bruno Lima');

    // Closed: dimmed, then gone.
    await system.graphql(
      `mutation { updateRequestStatus(id: "${id}", status: CANCELLED) { status } }`,
      {},
      { token: nurse },
    );
    await row.locator('.badge', { hasText: 'CANCELLED' }).waitFor();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    if (process.env.UPDATE_SCREENSHOTS)
      await page.screenshot({ path: path.join(REPO_ROOT, 'docs/dashboard.png'), fullPage: true });
    // Filters: one unit, then one kind.
    await page.locator('#unit').selectOption('Clínica Médica');
    const dispensers = await page.locator('#rows tr td:nth-child(6)').allTextContents();
    expect(dispensers.length).toBeGreaterThan(0);
    for (const dispenser of dispensers) expect(dispenser).toMatch(/^CLIN-4-A/);
    await page.locator('#unit').selectOption('');
    await page.locator('#kind').selectOption('MATERIAL');
    const items = await page.locator('#rows tr td:nth-child(3)').allTextContents();
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).not.toMatch(/ampoule|vial|tablet/);
  }, 90_000);

  it('says loudly when it is not live, reconnects by itself and refetches what changed meanwhile', async () => {
    const page = await loggedIn('pharmacist@asky.local', 'asky-pharmacist');
    const { nurse, admin } = await system.loginAll();
    const role = (r: string) =>
      system.graphql(
        `mutation { changeUserRole(id: "11111111-1111-4111-8111-000000000002", role: ${r}) { role } }`,
        {},
        { token: admin },
      );
    try {
      // A role change closes the person's sockets (they must reconnect with the new one).
      await role('ADMIN');
      await page.locator('#banner').waitFor({ state: 'visible', timeout: 15_000 });
      const id = await create(nurse, '22222222-2222-4222-8222-000000000005');
      await page.locator('#banner').waitFor({ state: 'hidden', timeout: 30_000 });
      expect(await page.locator('#connection').textContent()).toBe('Live');
      await page.locator(`#rows tr[data-id="${id}"]`).waitFor({ timeout: 15_000 });
    } finally {
      await role('PHARMACIST');
    }
  }, 90_000);

  it("speaks the hospital's language: pt-BR labels over the same data, enum values translated", async () => {
    const page = await browser.newPage({ locale: 'pt-BR' });
    await page.goto(new URL('/dashboard', system.gatewayUrl).href); // redirected to /dashboard/
    await page.getByLabel('Senha').fill('asky-pharmacist');
    await page.getByLabel('E-mail').fill('pharmacist@asky.local');
    await page.getByRole('button', { name: 'Entrar' }).click();
    await page.getByText('Ao vivo', { exact: true }).waitFor();
    await page.locator('#rows tr').first().waitFor(); // the list loads once live (as loggedIn waits)
    expect(await page.locator('thead th').allTextContents()).toEqual([
      'Prioridade',
      'Situação',
      'Pedido',
      'Solicitante',
      'Responsável',
      'Dispensário',
      'Retorno',
      'Espera',
      'Ações',
    ]);
    expect(await page.locator('#rows .badge').allTextContents()).toContain('Pendente');
    expect(await page.locator('#who').textContent()).toBe('Bruno Lima (farmácia)');
    expect(await page.locator('#rows').textContent()).toContain('ampola');
  }, 60_000);

  it("shows a push in its service worker's notification, and says when the browser cannot subscribe", async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: new URL(system.gatewayUrl).origin });
    const page = await loggedIn('pharmacist@asky.local', 'asky-pharmacist', '', system, context);
    expect(await page.evaluate<string>('navigator.serviceWorker.ready.then((r) => r.active.scriptURL)')).toMatch(
      /\/dashboard\/sw\.js$/,
    );
    // Subscribing needs the browser's push service (Google's, for Chromium): where it cannot be reached, the page says so.
    await page.getByRole('button', { name: 'Notify me when away' }).click();
    await page.getByText(/^Notifications (on|unavailable: .+)$/).waitFor({ timeout: 30_000 });

    // A push as the request service sends it, delivered to the worker the way a push service would (DevTools protocol).
    // The browser reports the registrations it knows, the earlier tests' (deleted with their contexts) among
    // them, in no set order: the push goes to every live one of the dashboard's scope (ours is the newest).
    const cdp = await context.newCDPSession(page);
    const live = new Set<string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      for (const r of registrations as { registrationId: string; scopeURL: string; isDeleted: boolean }[]) {
        if (!r.scopeURL.endsWith('/dashboard/')) continue;
        if (r.isDeleted) live.delete(r.registrationId);
        else live.add(r.registrationId);
      }
    });
    await cdp.send('ServiceWorker.enable');
    const notice = {
      title: 'New STAT medicine request · UTI Adulto',
      body: 'STAT medicine request · UTI Adulto',
      requestId: '66666666-6666-4666-8666-000000000001',
      priority: 'STAT',
      type: 'request.created',
    };
    const deliver = () =>
      Promise.all(
        [...live].map((registrationId) =>
          cdp
            .send('ServiceWorker.deliverPushMessage', {
              origin: new URL(system.gatewayUrl).origin,
              registrationId,
              data: JSON.stringify(notice),
            })
            .catch(() => undefined),
        ),
      );
    const shown = async () =>
      page.evaluate<{ title: string; body: string; tag: string }[]>(
        'navigator.serviceWorker.ready.then((r) => r.getNotifications()).then((ns) => ns.map((n) => ({ title: n.title, body: n.body, tag: n.tag })))',
      );
    // The worker wakes, parses and shows it in its own time: generous on a busy machine. A push the browser
    // dropped (its worker not running yet) is delivered again every 5 s; one tag, so never shown twice.
    let nextDelivery = 0;
    for (
      const deadline = Date.now() + 30_000;
      !(await shown()).length && Date.now() < deadline;
      await page.waitForTimeout(100)
    ) {
      if (Date.now() < nextDelivery) continue;
      nextDelivery = Date.now() + 5_000;
      await deliver();
    }
    expect(await shown()).toEqual([{ title: notice.title, body: notice.body, tag: `request-${notice.requestId}` }]);
    await context.close();
  }, 60_000);

  describe('with 15-second access tokens and 3-second STAT escalation', () => {
    let short: TestSystem;
    beforeAll(async () => {
      short = await startTestSystem({
        accessTokenTtlSeconds: 15,
        escalation: { afterSeconds: { STAT: 3, ASAP: 600 }, checkEveryMs: 200 },
      });
    }, 60_000);
    afterAll(() => short?.stop());

    it('renews its session before the token expires, stays live past it, and shows escalations as they happen', async () => {
      const page = await loggedIn('pharmacist@asky.local', 'asky-pharmacist', '?refetchSeconds=1', short);
      const token = () => page.evaluate<string>("JSON.parse(sessionStorage.getItem('asky-session')).accessToken");
      const first = await token();
      const { nurse } = await short.loginAll();
      const id = await create(nurse, '22222222-2222-4222-8222-000000000005', short);
      const row = page.locator(`#rows tr[data-id="${id}"]`);
      await row.waitFor();
      // Nobody accepts it: escalated after 3 s, shown at the next refetch.
      await row.getByText('▲ escalated').waitFor({ timeout: 20_000 });
      expect(await row.getAttribute('class')).toContain('overdue');
      // Past the first token's lifetime: renewed, and still live.
      await page.waitForTimeout(16_000);
      expect(await token()).not.toBe(first);
      await page.getByText('Live', { exact: true }).waitFor();
      const later = await create((await short.loginAll()).nurse, '22222222-2222-4222-8222-000000000005', short); // hers expired too
      await page.locator(`#rows tr[data-id="${later}"]`).waitFor({ timeout: 15_000 });
      expect(await page.locator('#login').isHidden()).toBe(true);
    }, 90_000);
  });
});
