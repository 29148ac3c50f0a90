import { topicNames, type Alert, type AuthEvent } from '@keywatch/contracts';
import {
  collectMessages,
  createProducer,
  describe,
  expect,
  freePort,
  groupLag,
  metricSum,
  poll,
  prepareClickHouse,
  produceEvents,
  repoRoot,
  type ServiceProcess,
  startService,
  test,
} from '@keywatch/testkit';
import { eventAt, fingerprint, IPS } from '@keywatch/detector-worker/testing';
import { countsIn, expectedCounts, knownEvents, rollupTotal, setupIngest } from '@keywatch/ingest-worker/testing';

// A worker killed with SIGKILL in the middle of its batches, as a child process, then restarted:
// every event counted once in ClickHouse, every attack alert raised once.

describe('worker killed with SIGKILL mid-stream and restarted', () => {
  test('ingest worker: every event counted exactly once in the raw table and every rollup', async ({
    kafka,
    clickhouse,
    logger,
  }) => {
    const ctx = await setupIngest({ kafka, clickhouse, logger }, { maxPartitions: 3 });
    const admin = kafka.kafka.admin();
    await admin.connect();
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      KEYWATCH_TOPIC_PREFIX: kafka.prefix,
      INGEST_GROUP_ID: ctx.groupId,
      INGEST_METRICS_PORT: '-1',
      INGEST_RETENTION_INTERVAL: '0',
      INGEST_RETRY_MAX_DELAY: '500ms',
      // Small batches: many insert→commit steps, so the kill lands between two of them.
      INGEST_BATCH_MAX_ROWS: '400',
      INGEST_BATCH_MAX_WAIT: '50ms',
    };
    const events = knownEvents(30_000, { tenants: 3 });
    const produce = async (slice: readonly AuthEvent[]) => {
      for (let i = 0; i < slice.length; i += 500)
        await ctx.producer.send(
          kafka.topics.authEvents,
          slice.slice(i, i + 500).map((e) => ({ key: e.key_id, value: JSON.stringify(e) })),
        );
    };
    let worker: ServiceProcess | undefined;
    try {
      await produce(events.slice(0, 15_000));
      worker = startService('ingest-worker', env);
      const before = await poll(
        () => rollupTotal(ctx.ch),
        (n) => n >= 1_500,
        60_000,
      );
      expect(before, worker.output.join('\n')).toBeGreaterThanOrEqual(1_500);
      expect(await worker.kill('SIGKILL')).toBe('SIGKILL');
      const atKill = await rollupTotal(ctx.ch);
      expect(atKill).toBeLessThan(events.length); // killed mid-stream, not after
      // The rest arrives while no worker runs; then a new process takes over the same group.
      await produce(events.slice(15_000));
      worker = startService('ingest-worker', env);
      const lag = await poll(
        () => groupLag(admin, ctx.groupId, kafka.topics.authEvents),
        (n) => n === 0,
        90_000,
        500,
      );
      expect(lag, worker.output.join('\n')).toBe(0);
      const expected = expectedCounts(events);
      expect(await rollupTotal(ctx.ch)).toBe(events.length);
      for (const source of ['raw', '1m', '1h', '1d'] as const)
        expect(await countsIn(ctx.ch, source), source).toEqual(expected);
      logger.info({ atKill, total: events.length }, 'ingest worker killed mid-stream and restarted');
    } finally {
      await worker?.kill('SIGTERM');
      await admin.disconnect();
      await ctx.close();
    }
  }, 150_000);

  test('detector worker: every event processed, every attack alerted once on the topic and in ClickHouse', async ({
    kafka,
    clickhouse,
    redis,
    logger,
  }) => {
    await kafka.provision({ maxPartitions: 3 });
    const target = {
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
    const ch = await prepareClickHouse(target);
    const admin = kafka.kafka.admin();
    await admin.connect();
    const groupId = `detector-kill-${kafka.prefix}`;
    const port = await freePort();
    const env = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      REDIS_URL: redis.url,
      KEYWATCH_TOPIC_PREFIX: kafka.prefix,
      DETECTOR_REDIS_PREFIX: redis.prefix,
      DETECTOR_GROUP_ID: groupId,
      DETECTOR_METRICS_PORT: String(port),
      // Small fetches: many batches, so the kill lands between two of them.
      DETECTOR_MAX_BATCH_BYTES: '16384',
    };
    const { events, expected } = attackMix(Date.now());
    const producer = await createProducer(kafka.kafka);
    let worker: ServiceProcess | undefined;
    try {
      // Half before the first worker, the rest while it is dead: the kill always lands mid-stream.
      const half = Math.floor(events.length / 2);
      await produceEvents(producer, kafka.topics.authEvents, events.slice(0, half));
      worker = startService('detector-worker', env);
      const metricsUrl = `http://127.0.0.1:${port}`;
      const seen = () => metricSum(metricsUrl, 'keywatch_detector_events_total').catch(() => 0);
      const before = await poll(seen, (n) => n >= 1_500, 60_000);
      expect(before, worker.output.join('\n')).toBeGreaterThanOrEqual(1_500);
      expect(await worker.kill('SIGKILL')).toBe('SIGKILL');
      await produceEvents(producer, kafka.topics.authEvents, events.slice(half));
      worker = startService('detector-worker', env);
      const lag = await poll(
        () => groupLag(admin, groupId, kafka.topics.authEvents),
        (n) => n === 0,
        90_000,
        500,
      );
      expect(lag, worker.output.join('\n')).toBe(0);

      const alerts = await collectMessages<Alert>(
        kafka.kafka,
        topicNames(kafka.prefix).securityAlerts,
        (m) => new Set(m.map((a) => a.value?.alert_id)).size >= expected.length,
        15_000,
      );
      const byId = new Map(alerts.map((m) => [m.value?.alert_id, m.value]));
      expect([...byId.values()].map((a) => `${a?.type} ${a?.key_id ?? a?.ip}`).sort()).toEqual([...expected].sort());
      const rows = await poll(
        () =>
          ch.query<{ alert_id: string; n: string }>('SELECT alert_id, count() AS n FROM alerts_feed GROUP BY alert_id'),
        (r) => r.length >= expected.length,
        15_000,
      );
      expect(rows.map((r) => [r.alert_id, Number(r.n)]).sort()).toEqual([...byId.keys()].map((id) => [id, 1]).sort());
      logger.info(
        { killedAfter: before, events: events.length, redelivered: alerts.length - byId.size },
        'detector killed mid-stream and restarted',
      );
    } finally {
      await worker?.kill('SIGTERM');
      await producer.close();
      await admin.disconnect();
      await ch.close();
    }
  }, 150_000);
});

/** 12 000 benign events with attacks spread through them; the alerts expected, as `type key-or-ip`. */
function attackMix(now: number): { events: AuthEvent[]; expected: string[] } {
  const events: AuthEvent[] = [];
  const expected: string[] = [];
  const start = now - 10 * 60_000;
  for (let i = 0; i < 12_000; i += 1)
    events.push(
      eventAt(start + i * 40, {
        key_id: `key_killbenign${i % 20}`.padEnd(24, '0'),
        tenant_id: 'tenant_kill',
        ip: IPS.berlin,
      }),
    );
  for (let a = 0; a < 6; a += 1) {
    const at = start + a * 80_000;
    const key = `key_killsecret${a}`.padEnd(24, '0');
    events.push(
      eventAt(at, { key_id: key, tenant_id: 'tenant_kill', key_type: 'secret', origin: `https://shop${a}.example` }),
    );
    expected.push(`secret_key_client_side ${key}`);
  }
  for (const [n, ip] of [
    [0, IPS.saoPaulo],
    [1, IPS.singapore],
  ] as const) {
    for (let i = 0; i < 12; i += 1)
      events.push(
        eventAt(start + n * 240_000 + i * 5_000, {
          key_id: null,
          tenant_id: null,
          ip,
          outcome: 'unknown_key',
          key_fingerprint: fingerprint(70_000 + n * 100 + i),
        }),
      );
    expected.push(`credential_stuffing ${ip}`);
  }
  events.sort((x, y) => x.ts.localeCompare(y.ts));
  return { events, expected };
}
