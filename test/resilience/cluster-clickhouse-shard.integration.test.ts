import { analyticsConfig, startAnalyticsApi } from '@keywatch/analytics-api';
import { createTestKey } from '@keywatch/analytics-api/testing';
import { createClickHouse } from '@keywatch/clickhouse';
import { parseConfig } from '@keywatch/config';
import { createProducer } from '@keywatch/kafka';
import { knownEvents } from '@keywatch/ingest-worker/testing';
import { ingestConfig, startIngestWorker } from '@keywatch/ingest-worker';
import { createKeyStore } from '@keywatch/keystore';
import { stopNode } from '@keywatch/local-stack';
import { expect, poll, test, useCluster } from '@keywatch/testkit';

// The cluster profile's ClickHouse (2 shards behind Distributed tables, insert_distributed_sync=1):
// shard 2 stopped for 30 s while events keep arriving on Kafka. Inserts touching it fail, the
// worker retries (deduplicating by event id) and commits nothing it has not stored; after the
// shard is back every event is stored exactly once. Meanwhile the analytics API is asked (its
// answers are reported: see the note at the end).

test('cluster: a ClickHouse shard stopped 30 s under ingest; no event lost or doubled, the worker catches up', async ({
  logger,
}) => {
  const cl = await useCluster(logger, (line) => process.stdout.write(`[cluster] ${line}\n`));
  await cl.kafka.provision({ maxPartitions: 3 });
  const ch = createClickHouse({ url: cl.clickhouse.url, database: cl.clickhouse.database, logger });
  const producer = await createProducer(cl.kafka.kafka);
  const worker = await startIngestWorker(
    parseConfig(ingestConfig, {
      KAFKA_BROKERS: cl.kafka.brokers.join(','),
      CLICKHOUSE_URL: cl.clickhouse.url,
      CLICKHOUSE_DATABASE: cl.clickhouse.database,
      KEYWATCH_TOPIC_PREFIX: cl.kafka.prefix,
      INGEST_GROUP_ID: `ingest-${cl.kafka.prefix}`,
      INGEST_METRICS_PORT: '-1',
      INGEST_RETENTION_INTERVAL: '0',
      INGEST_RETRY_MAX_DELAY: '1s',
      LOG_LEVEL: 'warn',
    }),
    logger,
  );
  const api = await startAnalyticsApi(
    parseConfig(analyticsConfig, {
      CLICKHOUSE_URL: cl.clickhouse.url,
      CLICKHOUSE_DATABASE: cl.clickhouse.database,
      REDIS_URL: cl.redis.url,
      ANALYTICS_API_PORT: '0',
      LOG_LEVEL: 'warn',
    }),
    logger,
    { redisKeyPrefix: cl.redis.prefix },
  );
  const shard2 = cl.nodes.find((n) => n.name === 'clickhouse-shard-2');
  if (!shard2) throw new Error('no clickhouse-shard-2 in the cluster profile');
  try {
    const reader = await createTestKey(createKeyStore({ redis: cl.redis.client }), 'tenant_t0', {
      scopes: ['analytics:read'],
    });
    const events = knownEvents(6_000, { tenants: 2, now: Date.now() });
    const send = async (slice: typeof events) => {
      for (let i = 0; i < slice.length; i += 500)
        await producer.send(
          cl.kafka.topics.authEvents,
          slice.slice(i, i + 500).map((e) => ({ key: e.key_id, value: JSON.stringify(e) })),
        );
    };
    const stored = async () =>
      Number(
        (
          await ch
            .query<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM auth_event_ids`)
            .catch(() => [{ n: '-1' }])
        )[0]?.n ?? -1,
      );
    await send(events.slice(0, 2_000));
    expect(await poll(stored, (n) => n >= 2_000, 60_000, 250)).toBe(2_000);

    const stoppedAt = performance.now();
    await stopNode(shard2);
    const probes: number[] = [];
    const during = (async () => {
      await send(events.slice(2_000, 4_000));
      while (performance.now() - stoppedAt < 30_000) {
        const r = await fetch(
          new URL(
            `/v1/analytics/keys?from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date().toISOString()}&sort=requests&limit=5`,
            api.url,
          ),
          { headers: { authorization: `Bearer ${reader.secret}` } },
        );
        await r.arrayBuffer();
        probes.push(r.status);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    })();
    await during;
    await shard2.start(() => {});
    const backAt = performance.now();
    await send(events.slice(4_000));
    const final = await poll(stored, (n) => n >= events.length, 120_000, 250);
    const catchUpS = (performance.now() - backAt) / 1000;
    const rows = await ch.query<{ rows: string; ids: string }>(
      `SELECT count() AS rows, uniqExact(event_id) AS ids FROM auth_events FINAL`,
    );
    const raw = await ch.query<{ rows: string }>(`SELECT count() AS rows FROM auth_events`);
    process.stdout.write(
      `[cluster-clickhouse] ${events.length} events sent; shard 2 down ${((backAt - stoppedAt) / 1000).toFixed(1)} s; ` +
        `stored ${final} distinct ids, ${rows[0]?.rows} rows after FINAL, ${raw[0]?.rows} before merge; caught up ${catchUpS.toFixed(1)} s after the shard was back; ` +
        `analytics API meanwhile answered ${[...new Set(probes)].join('/')} (${probes.length} probes)\n`,
    );
    expect(final).toBe(events.length);
    expect(rows[0]).toEqual({ rows: String(events.length), ids: String(events.length) });
    // The analytics API's answer while a shard is away is reported, not asserted: it is a 500 today,
    // and the clear partial-data error it should be is not built yet (docs/deploy.md, "Not yet").
    expect(probes.length).toBeGreaterThan(0);
  } finally {
    if (!(await shard2.healthy())) await shard2.start(() => {}).catch(() => undefined);
    await api.close();
    await worker.close();
    await producer.close();
    await ch.close();
    await cl.dispose();
  }
}, 300_000);
