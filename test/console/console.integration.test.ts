import { expect, test } from '@keywatch/testkit';
import type { Browser, Page } from 'playwright-core';
import { eventAt, IPS } from '@keywatch/detector-worker/testing';
import { launchChromium } from '../support/chromium.js';
import { sendDemoTraffic, startSystem } from '../support/system.js';

let browser: Browser | undefined;

test.beforeAll(async () => {
  // Installs Debian's chromium with apt when it is missing (CI starts without it).
  browser = await launchChromium();
}, 600_000);

test.afterAll(async () => {
  await browser?.close();
});

/** Console errors and uncaught exceptions of a page (CSP violations are reported as console errors). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

test('sign in, see pipeline data, open a key, acknowledge its alert, revoke it, sign out', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const system = await startSystem({ kafka, clickhouse, redis, logger });
  try {
    const { events } = await sendDemoTraffic(system, 150_000);
    const checkout = system.keys.checkout;
    const checkoutEvents = events.filter((e) => e.key_id === checkout.id).length;

    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = collectErrors(page);

    const first = await page.goto(system.consoleUrl);
    expect(first?.status()).toBe(200);
    const csp = first?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    // Sign in with the console key, by keyboard only.
    await page.getByLabel('Secret key').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string | undefined>('document.activeElement?.id')).toBe('secret-key');
    await page.keyboard.type(system.keys.admin.secret);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /Overview/ }).waitFor({ timeout: 30_000 });

    // The key is nowhere the page or its scripts can reach.
    const secret = system.keys.admin.secret;
    expect(await page.content()).not.toContain(secret);
    const storage = await page.evaluate<string>(
      'JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, url: location.href })',
    );
    expect(storage).not.toContain(secret);
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name)).toEqual(['kw_session']);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(JSON.stringify(cookies)).not.toContain(secret);

    // Overview: the pipeline's numbers (the checkout key is the busiest key).
    const volume = page.locator('.panel', { has: page.getByRole('heading', { name: 'Top keys by volume' }) });
    const row = volume.getByRole('row', { name: new RegExp(checkout.id) });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toContain(String(checkoutEvents));
    await page.getByRole('img', { name: /Requests per hour/ }).waitFor({ timeout: 30_000 });
    const highOpen = page.getByRole('list', { name: 'Open alerts by severity' }).getByRole('link', { name: /high/ });
    expect(await highOpen.textContent()).toMatch(/^[1-9]\d* high$/);
    await page.getByRole('button', { name: '7 d' }).click();
    await row.waitFor({ timeout: 30_000 });

    // The key page: record, analytics, and the detector's alert.
    await volume.getByRole('link', { name: new RegExp(checkout.id) }).click();
    await page
      .getByRole('heading', { name: new RegExp(`checkout-backend ${checkout.id}`) })
      .waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('key-state').textContent()).toBe('active');
    await page.getByRole('table', { name: /Requests by country/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('table', { name: /Requests by country/ }).textContent()).toContain('United Kingdom');
    await page
      .getByRole('table', { name: /Requests by route/ })
      .getByText('POST /v1/payments')
      .waitFor();

    const alert = page.locator('li.alert', { hasText: 'secret key client side' });
    await alert.waitFor({ timeout: 30_000 });
    await alert.locator('summary').focus();
    await page.keyboard.press('Enter');
    await alert.getByText('https://shop.example', { exact: true }).waitFor();
    await alert.getByRole('button', { name: 'Acknowledge' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => alert.getByTestId('alert-status').textContent(), { timeout: 30_000 }).toBe('acknowledged');
    const stored = await system.analyticsGet<{ alerts: Array<{ type: string; status: string }> }>(
      `/v1/alerts?key_id=${checkout.id}&type=secret_key_client_side`,
      secret,
    );
    expect(stored.body.alerts.map((a) => a.status)).toEqual(['acknowledged']);

    // Revoke, with confirmation.
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: /Revoke checkout-backend/ });
    await dialog.getByLabel(/Reason/).fill('secret leaked into a browser');
    await dialog.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => page.getByTestId('key-state').textContent(), { timeout: 30_000 }).toBe('revoked');
    const record = await system.keyService.call<{ key: { state: string; state_reason: string } }>(
      'GET',
      `/v1/keys/${checkout.id}`,
      system.keyService.rootKey,
    );
    expect(record.body.key).toMatchObject({ state: 'revoked', state_reason: 'secret leaked into a browser' });

    // The audit log shows who did it.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table').getByText('revoked').first().waitFor({ timeout: 30_000 });
    expect(await page.getByRole('table').textContent()).toContain(`key:${system.keys.admin.id}`);

    // Phone width: the alerts page still lays out without horizontal scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.locator('li.alert').first().waitFor({ timeout: 30_000 });
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1')).toBe(true);

    // Live updates: the revoked key keeps being tried; the detector's new alert appears without a reload.
    expect(await page.locator('li.alert', { hasText: 'revoked key in use' }).count()).toBe(0);
    await system.produce(
      [0, 1, 2].map((i) =>
        eventAt(Date.now() - 3_000 + i * 1_000, {
          tenant_id: system.tenantId,
          key_id: checkout.id,
          key_type: 'secret',
          environment: 'live',
          ip: IPS.london,
          outcome: 'revoked_key',
        }),
      ),
    );
    await page.locator('li.alert', { hasText: 'revoked key in use' }).waitFor({ timeout: 90_000 });

    // Sign out: the session is gone on the server too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Secret key').waitFor();
    expect((await page.request.get(`${system.consoleUrl}/api/alerts`)).status()).toBe(401);

    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await system.close();
  }
}, 420_000);
