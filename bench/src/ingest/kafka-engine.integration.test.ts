import { createClickHouse, FEATURES, versionAtLeast } from '@keywatch/clickhouse';
import { exampleAuthEvent, type AuthEvent } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import { describe, expect, poll, produceEvents, test } from '@keywatch/testkit';
import { kafkaEnginePeer } from './kafka-engine.js';

// The ingest bench's peer, ClickHouse's Kafka table engine, on the server at hand: 18.16 with its
// workarounds, current releases with the engine's own features (`keywatch test` runs this file on
// both ClickHouse engines).
describe("ClickHouse's Kafka engine peer", () => {
  test('reads every event produced before it started, nulls and nested objects included', async ({
    kafka,
    clickhouse,
    logger,
  }) => {
    await kafka.provision();
    const events: AuthEvent[] = Array.from({ length: 300 }, (_, i) =>
      exampleAuthEvent({
        outcome: i % 3 === 0 ? 'unknown_key' : 'allowed',
        tenant_id: i % 3 === 0 ? null : `tenant_${i % 4}`,
        key_id: i % 3 === 0 ? null : `key_${i % 7}`,
        route: `/v1/r${i % 5}`,
        latency_ms: i / 4,
      }),
    );
    const producer = await createProducer(kafka.kafka);
    await produceEvents(producer, kafka.topics.authEvents, events);
    await producer.close();

    const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
    const groupId = `${kafka.prefix}engine-peer`;
    try {
      const server = await ch.serverVersion();
      const peer = kafkaEnginePeer(server, { brokers: kafka.brokers, topic: kafka.topics.authEvents, groupId });
      expect(peer.variant).toBe(versionAtLeast(server, FEATURES.dateTime64) ? 'modern' : 'legacy');
      if (peer.offsetsAtStart) {
        const admin = kafka.kafka.admin();
        await admin.connect();
        const starts = await admin.fetchTopicOffsets(kafka.topics.authEvents);
        await admin.setOffsets({
          groupId,
          topic: kafka.topics.authEvents,
          partitions: starts.map((p) => ({ partition: p.partition, offset: p.low })),
        });
        await admin.disconnect();
      }
      await ch.command(peer.target);
      await ch.command(peer.source);
      await ch.command(peer.view);

      const count = await poll(
        async () => Number((await ch.query<{ n: string }>('SELECT count() AS n FROM kafka_target'))[0]?.n ?? 0),
        (n) => n >= events.length,
        45_000,
        250,
      );
      expect(count).toBe(events.length);
      // The engine itself is dropped before the rows are compared, so it stops consuming.
      await ch.command('DROP TABLE kafka_mv');
      await ch.command('DROP TABLE kafka_source');

      const rows = await ch.query<{
        event_id: string;
        ts: string;
        tenant_id: string;
        key_id: string;
        outcome: string;
        status: number;
        latency_ms: number;
        route: string;
      }>(
        'SELECT event_id, toString(ts) AS ts, tenant_id, key_id, outcome, status, latency_ms, route FROM kafka_target ORDER BY event_id',
      );
      const expected = events
        .map((e) => ({
          event_id: e.event_id,
          ts: e.ts.slice(0, 19).replace('T', ' '),
          tenant_id: e.tenant_id ?? '',
          key_id: e.key_id ?? '',
          outcome: e.outcome,
          status: e.status,
          latency_ms: e.latency_ms,
          route: e.route,
        }))
        .sort((a, b) => (a.event_id < b.event_id ? -1 : a.event_id > b.event_id ? 1 : 0));
      expect(rows).toEqual(expected);
    } finally {
      await ch.command('DROP TABLE IF EXISTS kafka_mv').catch(() => undefined);
      await ch.command('DROP TABLE IF EXISTS kafka_source').catch(() => undefined);
      await ch.close();
    }
  });
});
