import { createAlertStatusStore, createFeedbackStore } from '@keywatch/alerts';
import { type Alert, type AuthEvent } from '@keywatch/contracts';
import {
  collectMessages,
  createProducer,
  expect,
  poll,
  prepareClickHouse,
  produceEvents,
  repoRoot,
  test,
  type Fixtures,
  type StackTarget,
} from '@keywatch/testkit';
import { DAY, MINUTE } from './params.js';
import { eventAt, eventsSeen, IPS, startWorkerOn } from './testing.js';

// People's feedback as the real worker applies it: the analytics API writes suppression rules and
// trusted networks to `@keywatch/alerts`' feedback store (here written through the same store).
const T = Date.parse('2026-03-09T10:02:30.000Z');
const TENANT = 'tenant_feedback';
const key = (n: number, extra: Partial<AuthEvent> = {}): Partial<AuthEvent> => ({
  key_id: `key_feedback${String(n).padStart(12, '0')}`,
  tenant_id: TENANT,
  key_fingerprint: `${n}`.padStart(16, 'a'),
  key_type: 'secret',
  ...extra,
});

function targetOf({
  kafka,
  clickhouse,
  redis,
  logger,
}: Pick<Fixtures, 'kafka' | 'clickhouse' | 'redis' | 'logger'>): StackTarget {
  return {
    brokers: kafka.brokers,
    kafka: kafka.kafka,
    topicPrefix: kafka.prefix,
    clickhouseUrl: clickhouse.url,
    database: clickhouse.database,
    redisUrl: redis.url,
    redisPrefix: redis.prefix,
    logger,
    repoRoot,
  };
}

async function run(
  fixtures: Pick<Fixtures, 'kafka' | 'clickhouse' | 'redis' | 'logger'>,
  body: (ctx: {
    send: (events: AuthEvent[]) => Promise<void>;
    alerts: (atLeast: number, timeoutMs?: number) => Promise<Alert[]>;
  }) => Promise<void>,
) {
  await fixtures.kafka.provision();
  const target = targetOf(fixtures);
  const ch = await prepareClickHouse(target);
  const producer = await createProducer(fixtures.kafka.kafka);
  const worker = await startWorkerOn(target, { DETECTOR_FEEDBACK_REFRESH: '100ms' });
  let sent = 0;
  try {
    await body({
      async send(events) {
        await produceEvents(producer, fixtures.kafka.topics.authEvents, events);
        sent += events.length;
        await poll(
          () => eventsSeen(worker),
          (n) => n >= sent,
          30_000,
        );
      },
      async alerts(atLeast, timeoutMs = 5_000) {
        const messages = await collectMessages<Alert>(
          fixtures.kafka.kafka,
          fixtures.kafka.topics.securityAlerts,
          (m) => m.length >= atLeast,
          timeoutMs,
        );
        // One entry per alert (a repeat republishes it), in a stable order: partitions interleave.
        const byId = new Map<string, Alert>();
        for (const m of messages) if (m.value) byId.set(m.value.alert_id, m.value);
        return [...byId.values()].sort((a, b) => a.window_start.localeCompare(b.window_start));
      },
    });
  } finally {
    await worker.close();
    await producer.close();
    await ch.close();
  }
}

test('a dismissed alert with a key suppression stays silent for that key until the rule expires, and not for another key', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const feedback = createFeedbackStore({ redis: redis.client });
  const statuses = createAlertStatusStore({ redis: redis.client });
  await run({ kafka, clickhouse, redis, logger }, async ({ send, alerts }) => {
    await send([eventAt(T, key(1, { origin: 'https://one.example' }))]);
    const [first] = await alerts(1);
    expect(first?.type).toBe('secret_key_client_side');
    // What POST /v1/alerts/:id/dismiss { suppress: { scope: 'key', for_s } } writes.
    await statuses.set({
      alertId: first!.alert_id,
      tenantId: TENANT,
      status: 'dismissed',
      actor: 'key_admin',
      note: 'false_positive',
      updatedAt: Date.now(),
    });
    const expires = Date.now() + 4_000;
    await feedback.addSuppression({
      id: 'sup_test_key',
      tenant_id: TENANT,
      type: 'secret_key_client_side',
      key_id: first!.key_id,
      cidr: null,
      expires_at: new Date(expires).toISOString(),
      reason: 'false_positive',
      created_by: 'key:key_admin',
      created_at: new Date().toISOString(),
      alert_id: first!.alert_id,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The same key from other origins (new dedup keys) is silent; another key is not.
    await send([
      eventAt(T + MINUTE, key(1, { origin: 'https://two.example' })),
      eventAt(T + 2 * MINUTE, key(1, { origin: 'https://one.example' })),
      eventAt(T + 3 * MINUTE, key(2, { origin: 'https://two.example' })),
    ]);
    const during = await alerts(2, 3_000);
    expect(during.map((a) => [a.key_id, a.evidence.origin])).toEqual([
      [first!.key_id, 'https://one.example'],
      [key(2).key_id, 'https://two.example'],
    ]);
    // After the rule expires the key is judged again.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expires - Date.now()) + 300));
    await send([eventAt(T + 4 * MINUTE, key(1, { origin: 'https://three.example' }))]);
    const after = await alerts(3);
    expect(after.map((a) => a.evidence.origin)).toContain('https://three.example');
    expect(after).toHaveLength(3);
  });
});

test('a trusted network stops geography alerts for requests from it only', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const feedback = createFeedbackStore({ redis: redis.client });
  await feedback.setTrustedNetworks({
    tenant_id: TENANT,
    cidrs: [`${IPS.sydney.split('.').slice(0, 3).join('.')}.0/24`],
    updated_at: new Date().toISOString(),
    updated_by: 'key:key_admin',
  });
  await run({ kafka, clickhouse, redis, logger }, async ({ send, alerts }) => {
    // Two keys learnt in Berlin for 10 days; then each is used from Sydney (trusted) and São Paulo (not).
    const history = [1, 2].flatMap((n) =>
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => eventAt(T - (10 - d) * DAY, key(n, { ip: IPS.berlin }))),
    );
    await send(history);
    await send([
      eventAt(T + 1 * MINUTE, key(1, { ip: IPS.sydney })),
      eventAt(T + 2 * MINUTE, key(2, { ip: IPS.sydney })),
      eventAt(T + DAY, key(1, { ip: IPS.saoPaulo })),
    ]);
    const found = await alerts(1, 5_000);
    const geo = found.filter((a) => a.type === 'geo_new_country' || a.type === 'impossible_travel');
    expect(geo.map((a) => [a.type, a.key_id, a.evidence.country])).toEqual([['geo_new_country', key(1).key_id, 'BR']]);
  });
});
