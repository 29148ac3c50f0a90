import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { defineConfig, parseConfig } from '@keywatch/config';
import { topicNames } from '@keywatch/contracts';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import { createLogger, type Logger } from '@keywatch/logger';
import { createRedis } from '@keywatch/redis';
import type { Page } from 'playwright-core';
import { launchChromium } from '@keywatch/e2e/chromium';
import { sendDemoTraffic, startSystem, type Fixtures } from '@keywatch/e2e/system';

const repoRoot = new URL('../../../', import.meta.url).pathname;

/** Screenshots of every page of a running console, signed in with `key`, into `outDir`. */
export async function takeScreenshots(options: {
  consoleUrl: string;
  key: string;
  outDir: string;
  keyId?: string;
  /** A throwaway system of our own: the script may change it (register a demo webhook). */
  mayChange?: boolean;
  log?: (line: string) => void;
}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  await mkdir(options.outDir, { recursive: true });
  const browser = await launchChromium();
  const written: string[] = [];
  const shot = async (page: Page, name: string, fullPage = true) => {
    const file = path.join(options.outDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    written.push(file);
    log(`wrote ${path.relative(repoRoot, file)}`);
  };
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(options.consoleUrl);
    await page.getByLabel('Secret key').waitFor();
    await shot(page, 'sign-in', false);
    await page.getByLabel('Secret key').fill(options.key);
    await page.getByRole('button', { name: 'Sign in' }).click();

    const volume = page.locator('.panel', { has: page.getByRole('heading', { name: 'Top keys by volume' }) });
    await volume.getByRole('row').nth(1).waitFor({ timeout: 30_000 });
    await page.locator('.recharts-bar-rectangle').first().waitFor({ timeout: 30_000 });
    await shot(page, 'overview');

    const keyId =
      options.keyId ?? (await volume.getByRole('row').nth(1).getByRole('link').locator('code').textContent()) ?? '';
    await page.goto(`${options.consoleUrl}/#/keys/${encodeURIComponent(keyId)}`);
    await page.getByRole('table', { name: /Requests by country/ }).waitFor({ timeout: 30_000 });
    await page.locator('li.alert').first().waitFor({ timeout: 30_000 });
    await shot(page, 'key');

    await page.goto(`${options.consoleUrl}/#/alerts`);
    await page.getByLabel('status').selectOption('');
    await page.locator('li.alert').first().waitFor({ timeout: 30_000 });
    const travel = page.locator('li.alert', { hasText: 'impossible travel' }).first();
    if ((await travel.count()) > 0) {
      await travel.locator('summary').click();
      await travel.locator('.world-map').waitFor();
    }
    const spike = page.locator('li.alert', { hasText: 'failed auth spike' }).first();
    if ((await spike.count()) > 0) await spike.locator('summary').click();
    await page.waitForTimeout(300);
    await shot(page, 'alerts');
    if ((await travel.count()) > 0) {
      const file = path.join(options.outDir, 'alert-impossible-travel.png');
      await travel.screenshot({ path: file });
      written.push(file);
      log(`wrote ${path.relative(repoRoot, file)}`);
    }

    // The dismiss dialog, with a suppression for the key (cancelled: nothing is changed).
    if ((await spike.count()) > 0) {
      await spike.getByRole('button', { name: 'Dismiss', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Dismiss this alert?' });
      await dialog.getByLabel('Suppress alerts of this type').check();
      await shot(page, 'alert-dismiss', false);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
    }

    // The requests behind the impossible-travel alert.
    if ((await travel.count()) > 0) {
      await travel.getByRole('link', { name: 'The requests behind this alert' }).click();
      await page.locator('table.requests tbody tr').first().waitFor({ timeout: 30_000 });
      await shot(page, 'requests');
    }

    await page.goto(`${options.consoleUrl}/#/audit`);
    await page.getByRole('table').waitFor({ timeout: 30_000 });
    await shot(page, 'audit');

    await page.goto(`${options.consoleUrl}/#/keys`);
    await page.locator('li.key-row').first().waitFor({ timeout: 30_000 });
    await page.locator('li.key-row summary').first().click();
    await shot(page, 'keys');

    await page.goto(`${options.consoleUrl}/#/webhooks`);
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    if (options.mayChange) {
      await page.getByLabel('URL', { exact: true }).fill('https://93.184.215.14/hooks/keywatch');
      await page.getByRole('button', { name: 'Add destination' }).click();
      // The signing secret is hidden before the picture: docs never show one.
      await page.getByRole('button', { name: 'I stored it; hide it' }).click({ timeout: 30_000 });
      await page.locator('li.webhook summary').first().click();
      await page.getByText('No deliveries yet.').waitFor({ timeout: 30_000 });
    }
    await shot(page, 'webhooks');

    await page.goto(`${options.consoleUrl}/#/policy`);
    await page.getByRole('button', { name: 'Save policy' }).waitFor({ timeout: 30_000 });
    await shot(page, 'policy');

    await page.goto(`${options.consoleUrl}/#/suppressions`);
    await page.getByRole('heading', { name: 'Trusted networks', exact: true }).waitFor();
    await page.getByLabel(/One IP or CIDR per line/).waitFor({ timeout: 30_000 });
    await shot(page, 'suppressions');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${options.consoleUrl}/#/`);
    await volume.getByRole('row').nth(1).waitFor({ timeout: 30_000 });
    await shot(page, 'overview-phone');
    await context.close();
    return written;
  } finally {
    await browser.close();
  }
}

/** A throwaway system on the real engines: topics under a unique prefix, a fresh database and Redis prefix. */
async function ephemeralFixtures(logger: Logger): Promise<{ fixtures: Fixtures; dispose(): Promise<void> }> {
  const engines = parseConfig(defineConfig({}), process.env);
  const id = randomBytes(4).toString('hex');
  const prefix = `kwshots-${id}.`;
  const database = `kwshots_${id}`;
  const kafka = createKafka({ brokers: engines.KAFKA_BROKERS, clientId: `console-shots-${id}`, logger });
  const admin = kafka.admin();
  await admin.connect();
  const provision = async (options: { maxPartitions?: number } = {}) => {
    const definitions = loadTopicDefinitions(path.join(repoRoot, 'infra/kafka/topics.json')).map((d) => ({
      ...d,
      partitions: Math.min(d.partitions, options.maxPartitions ?? 3),
    }));
    await provisionTopics(admin, definitions, { prefix });
  };
  const clickhouse = async (statement: string) => {
    const response = await fetch(engines.CLICKHOUSE_URL, { method: 'POST', body: statement });
    if (!response.ok) throw new Error(`ClickHouse refused "${statement}": ${await response.text()}`);
  };
  await clickhouse(`CREATE DATABASE ${database}`);
  const redisPrefix = `kwshots:${id}:`;
  const client = createRedis({ url: engines.REDIS_URL, keyPrefix: redisPrefix, connectionName: 'console-shots' });
  return {
    fixtures: {
      kafka: { brokers: engines.KAFKA_BROKERS, kafka, prefix, topics: topicNames(prefix), provision },
      clickhouse: { url: engines.CLICKHOUSE_URL, database },
      redis: { url: engines.REDIS_URL, prefix: redisPrefix, client },
      logger,
    },
    async dispose() {
      const mine = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (mine.length > 0) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
      await admin.disconnect();
      await clickhouse(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
      const cleaner = createRedis({ url: engines.REDIS_URL, keyPrefix: '' });
      let cursor = '0';
      do {
        const [next, keys] = await cleaner.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
        if (keys.length > 0) await cleaner.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      cleaner.disconnect();
      client.disconnect();
    },
  };
}

/**
 * `CONSOLE_URL` and `KEYWATCH_CONSOLE_KEY` set: screenshots of that running console. Otherwise the
 * script runs the whole system itself on the local engines (throwaway topics, database and Redis
 * prefix), sends the demo traffic through Kafka, ingest and the detector, and screenshots that.
 */
export async function runScreenshots(
  env: NodeJS.ProcessEnv,
  outDir = path.join(repoRoot, 'docs/console'),
): Promise<string[]> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  if (env.CONSOLE_URL && env.KEYWATCH_CONSOLE_KEY)
    return takeScreenshots({ consoleUrl: env.CONSOLE_URL, key: env.KEYWATCH_CONSOLE_KEY, outDir, log });
  const logger = createLogger({ name: 'console-screenshots', level: 'warn' });
  const { fixtures, dispose } = await ephemeralFixtures(logger);
  try {
    log('starting key service, analytics API, ingest and detector workers and the console on throwaway topics…');
    const system = await startSystem(fixtures);
    try {
      log('sending the demo traffic through the pipeline…');
      await sendDemoTraffic(system, 180_000);
      return await takeScreenshots({
        consoleUrl: system.consoleUrl,
        key: system.keys.admin.secret,
        keyId: system.keys.checkout.id,
        mayChange: true,
        outDir,
        log,
      });
    } finally {
      await system.close();
    }
  } finally {
    await dispose();
  }
}
