import { createAlertStatusStore } from '@keywatch/alerts';
import { type Alert } from '@keywatch/contracts';
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
import { MINUTE } from './params.js';
import { eventAt, eventsSeen, startWorkerOn } from './testing.js';

// The detector's side of the alert lifecycle: people acknowledge or resolve an alert through the
// analytics API, which writes the hot copy (`@keywatch/alerts`) the detector reads per batch.
const T = Date.parse('2026-03-09T10:02:30.000Z');
const KEY = {
  key_id: 'key_lifecycle00000000000',
  tenant_id: 'tenant_lifecycle',
  key_fingerprint: 'cccccccccccccccc',
  key_type: 'secret',
  origin: 'https://app.example',
} as const;

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

async function alertsOn(fixtures: Pick<Fixtures, 'kafka'>, atLeast: number, timeoutMs = 5_000): Promise<Alert[]> {
  const messages = await collectMessages<Alert>(
    fixtures.kafka.kafka,
    fixtures.kafka.topics.securityAlerts,
    (m) => m.length >= atLeast,
    timeoutMs,
  );
  return messages.flatMap((m) => (m.value ? [m.value] : []));
}

for (const status of ['resolved', 'acknowledged'] as const) {
  test(`a repeat after the alert was ${status}: ${status === 'resolved' ? 'a new alert (new id)' : 'the same alert, its count grows'}`, async ({
    kafka,
    clickhouse,
    redis,
    logger,
  }) => {
    const fixtures = { kafka, clickhouse, redis, logger };
    await kafka.provision();
    const target = targetOf(fixtures);
    const ch = await prepareClickHouse(target);
    const producer = await createProducer(kafka.kafka);
    // The worker's status client uses the run's prefix (workerEnvironment in testing.ts), as the API's would the deployment's.
    const statuses = createAlertStatusStore({ redis: redis.client });
    const worker = await startWorkerOn(target);
    try {
      await produceEvents(
        producer,
        kafka.topics.authEvents,
        [0, 1].map((i) => eventAt(T + i * 1000, KEY)),
      );
      await poll(
        () => eventsSeen(worker),
        (n) => n >= 2,
        30_000,
      );
      const [first] = await alertsOn(fixtures, 1);
      expect(first?.type).toBe('secret_key_client_side');
      const firstId = first?.alert_id ?? '';
      // Someone acts on it at T + 2 min (the statuses' clock is the wall clock of the API; events later than it are "after").
      await statuses.set({
        alertId: firstId,
        tenantId: KEY.tenant_id,
        status,
        actor: 'key_admin',
        note: '',
        updatedAt: T + 2 * MINUTE,
      });
      // A repeat from before the action still belongs to the first alert; two after it come back.
      await produceEvents(producer, kafka.topics.authEvents, [
        eventAt(T + MINUTE, KEY),
        eventAt(T + 5 * MINUTE, KEY),
        eventAt(T + 6 * MINUTE, KEY),
      ]);
      await poll(
        () => eventsSeen(worker),
        (n) => n >= 5,
        30_000,
      );
      const rows = await poll(
        () =>
          ch.query<{ alert_id: string; count: number | string }>(
            'SELECT alert_id, count FROM alerts_feed ORDER BY detected_at, alert_id',
          ),
        (r) => r.reduce((n, row) => n + Number(row.count), 0) >= 5,
        30_000,
      );
      const alerts = await alertsOn(fixtures, status === 'resolved' ? 2 : 3, 3_000);
      if (status === 'resolved') {
        const ids = [...new Set(alerts.map((a) => a.alert_id))];
        expect(ids).toHaveLength(2);
        const second = ids.find((id) => id !== firstId) ?? '';
        expect(Object.fromEntries(rows.map((r) => [r.alert_id, Number(r.count)]))).toEqual({
          [firstId]: 3,
          [second]: 2,
        });
        const reopened = alerts.find((a) => a.alert_id === second);
        expect(reopened?.evidence.first_seen).toBe(new Date(T + 5 * MINUTE).toISOString());
      } else {
        expect(alerts.map((a) => a.alert_id)).toEqual([firstId]);
        expect(rows.map((r) => [r.alert_id, Number(r.count)])).toEqual([[firstId, 5]]);
      }
    } finally {
      await worker.close();
      await producer.close();
      await ch.close();
    }
  });
}
