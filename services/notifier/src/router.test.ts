import { parseConfig } from '@keywatch/config';
import type { SourceMessage } from '@keywatch/kafka';
import { createLogger } from '@keywatch/logger';
import { deliveryId, receivesAlertsOf, type DeliveryQueue, type Webhook } from '@keywatch/webhooks';
import { describe, expect, it } from 'vitest';
import { notifierConfig } from './config.js';
import { createNotifierMetrics } from './metrics.js';
import { createAlertRouter, routes } from './router.js';
import { slackMessage } from './slack.js';
import { testAlert } from './testing.js';

const hook = (overrides: Partial<Webhook>): Webhook => ({
  id: 'wh_AAAAAAAAAAAAAAAAAAAA',
  tenant_id: 't1',
  url: 'https://93.184.216.34/',
  kind: 'json',
  min_severity: 'low',
  types: [],
  created_at: '',
  updated_at: '',
  ...overrides,
});

function harness(hooks: Webhook[], now = Date.now()) {
  const added: Array<{
    name: string;
    data: { delivery_id: string; webhook_id: string; tenant_id: string | null };
    opts: { jobId?: string; attempts?: number };
  }> = [];
  // Like BullMQ: a job added stays findable by its id (completed jobs are kept).
  const ids = new Set<string>();
  const queue = {
    addBulk: async (jobs: typeof added) => {
      added.push(...jobs);
      for (const job of jobs) ids.add(job.opts.jobId ?? '');
    },
    getJob: async (id: string) => (ids.has(id) ? { id } : undefined),
  } as unknown as DeliveryQueue;
  const handler = createAlertRouter({
    webhooks: {
      list: async (tenant) => hooks.filter((h) => h.tenant_id === tenant),
      listPlatform: async () => hooks.filter((h) => h.tenant_id === null),
    },
    queue,
    jobOptions: { attempts: 5 },
    metrics: createNotifierMetrics({ queueDepth: async () => 0, deadLetters: async () => 0 }),
    logger: createLogger({ name: 'test', level: 'silent' }),
    now: () => now,
  });
  const run = (values: unknown[]) =>
    handler({
      topic: 'security-alerts',
      partition: 0,
      heartbeat: async () => undefined,
      messages: values.map((v, i): SourceMessage => ({
        topic: 'security-alerts',
        partition: 0,
        offset: String(i),
        key: null,
        value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
        headers: {},
      })),
    });
  return { added, run };
}

describe('routing', () => {
  it('matches by minimum severity and type list', () => {
    expect(routes({ min_severity: 'high', types: [] }, { severity: 'critical', type: 'usage_spike' })).toBe(true);
    expect(routes({ min_severity: 'high', types: [] }, { severity: 'medium', type: 'usage_spike' })).toBe(false);
    expect(routes({ min_severity: 'low', types: ['usage_spike'] }, { severity: 'low', type: 'usage_spike' })).toBe(
      true,
    );
    expect(
      routes({ min_severity: 'low', types: ['usage_spike'] }, { severity: 'critical', type: 'geo_new_country' }),
    ).toBe(false);
  });

  it('adds one job per alert × matching destination of its tenant, with ids from (alert, destination, severity)', async () => {
    const a = hook({ id: 'wh_aaaaaaaaaaaaaaaaaaaa' });
    const b = hook({ id: 'wh_bbbbbbbbbbbbbbbbbbbb', min_severity: 'critical' });
    const other = hook({ id: 'wh_cccccccccccccccccccc', tenant_id: 't2' });
    const { added, run } = harness([a, b, other]);
    const alert = testAlert('t1', { severity: 'high' });
    await run([
      alert,
      alert,
      'not json',
      { ...alert, severity: 'critical' },
      testAlert('t1', { tenant_id: null, key_id: null }),
    ]);
    expect(added.map((j) => j.opts.jobId)).toEqual([
      deliveryId(alert.alert_id, a.id, 'high'),
      deliveryId(alert.alert_id, a.id, 'high'),
      deliveryId(alert.alert_id, a.id, 'critical'),
      deliveryId(alert.alert_id, b.id, 'critical'),
    ]);
    expect(added.every((j) => j.opts.attempts === 5 && j.data.delivery_id === j.opts.jobId)).toBe(true);
    expect(deliveryId('x', 'y', 'high')).toMatch(/^dlv_[0-9a-f]{32}$/);
    expect(deliveryId('x', 'y', 'high')).not.toBe(deliveryId('x', 'y', 'critical'));
  });

  it('does not queue a version below a severity already queued for the destination; an escalation in order is queued', async () => {
    const a = hook({ id: 'wh_aaaaaaaaaaaaaaaaaaaa' });
    const { added, run } = harness([a]);
    // Out of order across batches (two detector instances): high, then the stale medium.
    const first = testAlert('t1', { severity: 'high' });
    await run([first]);
    await run([{ ...first, severity: 'medium' }]);
    // Out of order within a batch.
    const second = testAlert('t1', { severity: 'critical' });
    await run([second, { ...second, severity: 'low' }]);
    // In order: medium, then high, both delivered.
    const third = testAlert('t1', { severity: 'medium' });
    await run([third]);
    await run([{ ...third, severity: 'high' }]);
    expect(added.map((j) => j.opts.jobId)).toEqual([
      deliveryId(first.alert_id, a.id, 'high'),
      deliveryId(second.alert_id, a.id, 'critical'),
      deliveryId(third.alert_id, a.id, 'medium'),
      deliveryId(third.alert_id, a.id, 'high'),
    ]);
  });

  it('sends tenantless alerts to platform destinations only, and tenant alerts to platform destinations with all_tenants', async () => {
    const tenantHook = hook({ id: 'wh_tttttttttttttttttttt', tenant_id: 't1' });
    const everything = hook({ id: 'wh_pppppppppppppppppppp', tenant_id: null, all_tenants: true });
    const tenantless = hook({ id: 'wh_nnnnnnnnnnnnnnnnnnnn', tenant_id: null, all_tenants: false });
    const criticalOnly = hook({
      id: 'wh_cccccccccccccccccccc',
      tenant_id: null,
      all_tenants: true,
      min_severity: 'critical',
    });
    const { added, run } = harness([tenantHook, everything, tenantless, criticalOnly]);
    const stuffing = testAlert('t1', { tenant_id: null, key_id: null, type: 'credential_stuffing', severity: 'high' });
    const tenants = testAlert('t1', { severity: 'high' });
    const other = testAlert('t2', { severity: 'high' });
    await run([stuffing, tenants, other]);
    expect(added.map((j) => [j.data.webhook_id, j.data.tenant_id])).toEqual([
      [everything.id, null],
      [tenantless.id, null],
      [tenantHook.id, 't1'],
      [everything.id, 't1'],
      [everything.id, 't2'],
    ]);
  });

  it('applies the tenant rule in one place', () => {
    expect(receivesAlertsOf({ tenant_id: 't1' }, 't1')).toBe(true);
    expect(receivesAlertsOf({ tenant_id: 't1' }, 't2')).toBe(false);
    expect(receivesAlertsOf({ tenant_id: 't1' }, null)).toBe(false);
    expect(receivesAlertsOf({ tenant_id: null, all_tenants: false }, null)).toBe(true);
    expect(receivesAlertsOf({ tenant_id: null, all_tenants: false }, 't1')).toBe(false);
    expect(receivesAlertsOf({ tenant_id: null, all_tenants: true }, 't1')).toBe(true);
    // A platform record without the flag fails closed: tenantless alerts only.
    expect(receivesAlertsOf({ tenant_id: null }, 't1')).toBe(false);
  });

  it('does not deliver alerts detected more than 24 h ago (a new group starting at the beginning of the topic)', async () => {
    const { added, run } = harness([hook({ tenant_id: 't1' })], Date.now() + 25 * 3600_000);
    await run([testAlert('t1')]);
    expect(added).toEqual([]);
  });
});

describe('slack messages', () => {
  it('escape mrkdwn control characters from alert text', () => {
    const message = slackMessage(testAlert('t1', { summary: '<!channel> & <https://evil|click>' }));
    expect(message.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
  });

  it('name the tenant of a tenantless alert', () => {
    expect(JSON.stringify(slackMessage(testAlert('t1', { tenant_id: null, key_id: null })).blocks)).toContain(
      '*Tenant*\\nnone (unknown keys)',
    );
  });
});

describe('config', () => {
  it('requires KEYWATCH_SECRETS_KEY and documents its defaults', () => {
    expect(() => parseConfig(notifierConfig, {})).toThrow(/KEYWATCH_SECRETS_KEY/);
    const config = parseConfig(notifierConfig, { KEYWATCH_SECRETS_KEY: 'x'.repeat(32) });
    expect(config).toMatchObject({
      NOTIFIER_GROUP_ID: 'keywatch-notifier',
      KEYWATCH_NOTIFIER_QUEUE_PREFIX: '{keywatch:notifier}',
      NOTIFIER_REDIS_PREFIX: 'keywatch:',
      NOTIFIER_ATTEMPTS: 8,
      NOTIFIER_BACKOFF: 2000,
      NOTIFIER_TIMEOUT: 10_000,
      NOTIFIER_RATE_LIMIT: 60,
      KEYWATCH_WEBHOOK_ALLOW_PRIVATE: false,
    });
  });
});
