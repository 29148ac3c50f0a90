import { expect, test } from '@keywatch/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium.js';
import { sendDemoTraffic, startSystem, type System } from '../support/system.js';

// The console manages, not only shows: keys, webhooks, the trigger policy, alert feedback and
// request search, in a real browser, with the session shared by two console instances.

let browser: Browser | undefined;

test.beforeAll(async () => {
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

/** Fails when `secret` is anywhere the page or its scripts can reach: DOM, storage, cookies, URL. */
async function expectNowhereInBrowser(page: Page, context: BrowserContext, secret: string): Promise<void> {
  expect(await page.content()).not.toContain(secret);
  const reachable = await page.evaluate<string>(
    'JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, url: location.href, text: document.body.innerText })',
  );
  expect(reachable).not.toContain(secret);
  expect(JSON.stringify(await context.cookies())).not.toContain(secret);
}

async function signIn(page: Page, system: System): Promise<void> {
  await page.goto(system.consoleUrl);
  await page.getByLabel('Secret key').fill(system.keys.admin.secret);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Overview/ }).waitFor({ timeout: 30_000 });
}

test('manage: find a key, create one (secret shown once) and revoke it, register a webhook, set the policy; a second console instance shares the session', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const system = await startSystem({ kafka, clickhouse, redis, logger });
  try {
    const root = system.keyService.rootKey;
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signIn(page, system);
    await expectNowhereInBrowser(page, context, system.keys.admin.secret);

    // Find a key: search narrows the list; the state and environment filters go into the URL.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys' }).click();
    const keys = page.getByRole('list', { name: 'Keys' });
    await keys.locator('li.key-row').first().waitFor({ timeout: 30_000 });
    expect(await keys.locator('li.key-row').count()).toBe(4);
    await page.getByLabel(/^Search/).fill('partner');
    await expect.poll(() => keys.locator('li.key-row').count()).toBe(1);
    expect(await keys.locator('li.key-row').getAttribute('data-key-id')).toBe(system.keys.partner.id);
    await page.locator('#key-state').selectOption('active');
    await expect.poll(() => page.evaluate<string>('location.hash')).toBe('#/keys?q=partner&status=active');
    await keys.locator(`li[data-key-id="${system.keys.partner.id}"]`).waitFor({ timeout: 30_000 });
    await page.locator('#key-environment').selectOption('dev');
    await page.getByText('No keys match.').waitFor({ timeout: 30_000 });
    await page.goto(`${system.consoleUrl}/#/keys`);
    await keys.locator('li.key-row').first().waitFor({ timeout: 30_000 });

    // Create: the secret is shown once, works, and is gone from the page once hidden.
    await page.getByLabel('Name', { exact: true }).fill('ci-deployer');
    await page.locator('#new-key-type').selectOption('secret');
    await page.locator('#new-key-environment').selectOption('dev');
    await page.getByLabel(/^Scopes/).fill('bundles:read, analytics:read');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-secret');
    await shown.waitFor({ timeout: 30_000 });
    const newSecret = (await shown.textContent()) ?? '';
    expect(newSecret).toMatch(/^sk_dev_/);
    const created = await system.keyService.call<{ keys: Array<{ id: string; name: string; scopes: string[] }> }>(
      'GET',
      `/v1/keys?tenant_id=${system.tenantId}&environment=dev`,
      root,
    );
    const createdKey = created.body.keys.find((k) => k.name === 'ci-deployer');
    expect(createdKey?.scopes.sort()).toEqual(['analytics:read', 'bundles:read']);
    // The secret is real: the analytics API accepts it.
    expect((await system.analyticsGet('/v1/analytics/keys?limit=1', newSecret)).status).toBe(200);
    await page.getByRole('button', { name: 'I stored it; hide it' }).click();
    await shown.waitFor({ state: 'detached' });
    await expectNowhereInBrowser(page, context, newSecret);

    // Revoke it from its row, with confirmation.
    await page.getByLabel(/^Search/).fill('ci-deployer');
    const row = keys.locator(`li[data-key-id="${createdKey!.id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await row.locator('summary').click();
    await row.getByRole('button', { name: 'Revoke', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke ci-deployer?' });
    await dialog.getByLabel(/Reason/).fill('no longer needed');
    await dialog.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => row.getByTestId('key-row-state').textContent(), { timeout: 30_000 }).toBe('revoked');
    const revoked = await system.keyService.call<{ key: { state: string; state_reason: string } }>(
      'GET',
      `/v1/keys/${createdKey!.id}`,
      root,
    );
    expect(revoked.body.key).toMatchObject({ state: 'revoked', state_reason: 'no longer needed' });
    expect((await system.analyticsGet('/v1/analytics/keys?limit=1', newSecret)).status).toBe(401);

    // Register a webhook: its signing secret is shown once too.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('URL', { exact: true }).fill('https://93.184.215.14/hooks/keywatch');
    await page.locator('#webhook-severity').selectOption('high');
    await page.getByRole('button', { name: 'Add destination' }).click();
    const webhookSecret = (await page.getByTestId('new-secret').textContent({ timeout: 30_000 })) ?? '';
    expect(webhookSecret.length).toBeGreaterThanOrEqual(32);
    await page.getByRole('button', { name: 'I stored it; hide it' }).click();
    const destination = page.getByRole('list', { name: 'Destinations' }).locator('li.webhook');
    await destination.getByText('https://93.184.215.14/hooks/keywatch').waitFor({ timeout: 30_000 });
    await destination.locator('summary', { hasText: 'Deliveries' }).click();
    await destination.getByText('No deliveries yet.').waitFor({ timeout: 30_000 });
    await expectNowhereInBrowser(page, context, webhookSecret);
    const hooks = await system.keyService.call<{ webhooks: Array<{ url: string; min_severity: string }> }>(
      'GET',
      `/v1/webhooks?tenant_id=${system.tenantId}`,
      root,
    );
    expect(hooks.body.webhooks).toMatchObject([{ url: 'https://93.184.215.14/hooks/keywatch', min_severity: 'high' }]);

    // The trigger policy and its cap.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policy' }).click();
    await page.getByLabel(/^suspend/).check();
    await page.getByLabel(/^Cap/).fill('5');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor({ timeout: 30_000 });
    const policy = await system.keyService.call<{ policy: Record<string, unknown> }>(
      'GET',
      `/v1/policy?tenant_id=${system.tenantId}`,
      root,
    );
    expect(policy.body.policy).toMatchObject({ mode: 'suspend', max_actions_per_hour: 5, allow_live_revoke: false });

    // Phone width: the management pages lay out without horizontal scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [link, ready] of [
      ['Keys', 'li.key-row'],
      ['Webhooks', 'li.webhook'],
      ['Policy', '#policy-cap'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
      await page.locator(ready).first().waitFor({ timeout: 30_000 });
      expect([
        link,
        await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'),
      ]).toEqual([link, true]);
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    // A second console instance (another process behind the same load balancer) knows the session.
    // Cookies do not depend on the port, so the browser sends the same session cookie to it.
    const second = await system.startConsoleInstance();
    await page.goto(`${second.url}/#/keys`);
    await page.getByRole('heading', { name: 'Keys', exact: true }).waitFor({ timeout: 30_000 });
    await keys.locator(`li[data-key-id="${system.keys.checkout.id}"]`).waitFor({ timeout: 30_000 });
    await expectNowhereInBrowser(page, context, system.keys.admin.secret);
    // Signing out there ends the session on the first instance too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Secret key').waitFor();
    expect((await page.request.get(`${system.consoleUrl}/api/keys`)).status()).toBe(401);

    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await system.close();
  }
}, 420_000);

test('investigate: open the requests behind an alert, confirm one, dismiss another with a suppression, see the rule', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const system = await startSystem({ kafka, clickhouse, redis, logger });
  try {
    const { events } = await sendDemoTraffic(system, 150_000);
    const admin = system.keys.admin.secret;
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = collectErrors(page);
    await signIn(page, system);

    // The requests behind the impossible-travel alert: the mobile key's requests in the alert's window.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    const travel = page.locator('li.alert', { hasText: 'impossible travel' }).first();
    await travel.waitFor({ timeout: 30_000 });
    await travel.locator('summary').click();
    const travelId = await travel.getAttribute('data-alert-id');
    await travel.getByRole('link', { name: 'The requests behind this alert' }).click();
    await page.getByRole('heading', { name: 'Requests' }).waitFor();
    const hash = new URLSearchParams((await page.evaluate<string>('location.hash')).split('?')[1]);
    expect(hash.get('key_id')).toBe(system.keys.mobile.id);
    const from = Date.parse(hash.get('from') ?? '');
    const to = Date.parse(hash.get('to') ?? '');
    const expected = events.filter(
      (e) => e.key_id === system.keys.mobile.id && Date.parse(e.ts) >= from && Date.parse(e.ts) <= to,
    );
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const rows = page.getByRole('table', { name: /Newest first/ }).locator('tbody tr');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBe(expected.length);
    expect(await page.getByRole('table', { name: /Newest first/ }).textContent()).toContain('Australia');

    // Confirm the impossible travel as a compromise (the key service then applies the tenant policy).
    // Every status, so that alerts stay listed once they are confirmed or dismissed.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.locator('#filter-status').selectOption('');
    const confirmedAlert = page.locator(`li.alert[data-alert-id="${travelId}"]`);
    await confirmedAlert.waitFor({ timeout: 30_000 });
    await confirmedAlert.locator('summary').click();
    await confirmedAlert.getByRole('button', { name: 'Confirm compromise' }).click();
    await page
      .getByRole('dialog', { name: 'Confirm this is a compromise?' })
      .getByRole('button', { name: 'Yes, confirm compromise' })
      .click();
    await expect
      .poll(() => confirmedAlert.getByTestId('alert-status').textContent(), { timeout: 30_000 })
      .toBe('confirmed');
    const confirmed = await system.analyticsGet<{ alert: { status: string } }>(`/v1/alerts/${travelId}`, admin);
    expect(confirmed.body.alert.status).toBe('confirmed');

    // Dismiss the partner key's failed-auth spike as expected, suppressing that key for 24 hours.
    const spike = page.locator('li.alert', { hasText: 'failed auth spike' }).first();
    await spike.waitFor({ timeout: 30_000 });
    const alertId = await spike.getAttribute('data-alert-id');
    await spike.locator('summary').click();
    await spike.getByRole('button', { name: 'Dismiss', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Dismiss this alert?' });
    await dialog.getByLabel(/^Expected/).check();
    await dialog.getByLabel('Suppress alerts of this type').check();
    await dialog.locator('select').first().selectOption('key');
    await dialog.locator('select').nth(1).selectOption(String(86_400));
    await dialog.getByRole('button', { name: 'Yes, dismiss' }).click();
    await expect.poll(() => spike.getByTestId('alert-status').textContent(), { timeout: 30_000 }).toBe('dismissed');
    const stored = await system.analyticsGet<{ alert: { status: string } }>(`/v1/alerts/${alertId}`, admin);
    expect(stored.body.alert.status).toBe('dismissed');
    const rules = await system.analyticsGet<{ suppressions: Array<{ key_id: string | null; expires_at: string }> }>(
      '/v1/suppressions',
      admin,
    );
    const rule = rules.body.suppressions.find((s) => s.key_id === system.keys.partner.id);
    expect(rule).toBeDefined();
    expect(Date.parse(rule!.expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);

    // The rule is on the Suppressions page.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Suppressions' }).click();
    await page
      .getByRole('table', { name: /Live rules/ })
      .getByText(system.keys.partner.id)
      .waitFor({ timeout: 30_000 });

    await expectNowhereInBrowser(page, context, admin);
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await system.close();
  }
}, 420_000);
