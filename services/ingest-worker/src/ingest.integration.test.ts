import path from 'node:path';
import { createClickHouse, runMigrations } from '@keywatch/clickhouse';
import { exampleAuthEvent, newEventId } from '@keywatch/contracts';
import {
  createConsumerRunner,
  createProducer,
  DLQ_HEADERS,
  type OutgoingMessage,
  type SourceMessage,
} from '@keywatch/kafka';
import { parseConfig } from '@keywatch/config';
import { expect, repoRoot, test } from '@keywatch/testkit';
import { ingestConfig } from './config.js';
import { startIngestWorker } from './worker.js';

const outcomes = ['allowed', 'unknown_key', 'rate_limited', 'insufficient_scope'] as const;

/** Invalid messages, each with the field its DLQ reason must name ('' = the whole message). */
const invalid: Array<{ bytes: string; field: string }> = [
  { bytes: '{not json', field: 'invalid JSON' },
  { bytes: '', field: 'empty message' },
  { bytes: '[1,2,3]', field: '' },
  { bytes: JSON.stringify({ ...exampleAuthEvent(), ts: 'yesterday' }), field: 'ts' },
  { bytes: JSON.stringify({ ...exampleAuthEvent(), outcome: 'maybe' }), field: 'outcome' },
  { bytes: JSON.stringify({ ...exampleAuthEvent(), ip: '999.1.1.1' }), field: 'ip' },
  { bytes: JSON.stringify({ ...exampleAuthEvent(), status: 'ok', latency_ms: -1 }), field: 'latency_ms' },
];

async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    value = await read();
  }
  return value;
}

test('valid auth events land once in ClickHouse and invalid ones in the dead-letter topic with the reason', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  await kafka.provision();
  const ch = createClickHouse({ url: clickhouse.url, database: clickhouse.database, logger });
  await runMigrations(ch, {
    directory: path.join(repoRoot, 'infra/clickhouse/migrations'),
    database: clickhouse.database,
    logger,
  });

  const valid = Array.from({ length: 240 }, (_, i) =>
    exampleAuthEvent({
      tenant_id: `tenant_${i % 3}`,
      key_id: `key_slice${String(i % 8).padStart(20, '0')}`,
      outcome: outcomes[i % outcomes.length],
    }),
  );
  const producer = await createProducer(kafka.kafka);
  const messages: OutgoingMessage[] = [
    ...valid.map((e) => ({ key: e.key_id, value: JSON.stringify(e) })),
    ...invalid.map((m, i) => ({ key: `bad-${i}`, value: m.bytes, headers: { 'x-origin': `case-${i}` } })),
  ];
  await producer.send(kafka.topics.authEvents, messages);
  // A redelivered duplicate (same event_id) must not count twice.
  await producer.send(kafka.topics.authEvents, [{ key: valid[0]!.key_id, value: JSON.stringify(valid[0]) }]);

  const config = parseConfig(ingestConfig, {
    KAFKA_BROKERS: kafka.brokers.join(','),
    CLICKHOUSE_URL: clickhouse.url,
    CLICKHOUSE_DATABASE: clickhouse.database,
    KEYWATCH_TOPIC_PREFIX: kafka.prefix,
    INGEST_GROUP_ID: `ingest-${newEventId()}`,
    INGEST_METRICS_PORT: '0',
    INGEST_RETENTION_INTERVAL: '0',
  });
  const worker = await startIngestWorker(config, logger);

  const deadLetters: SourceMessage[] = [];
  const dlqReader = createConsumerRunner({
    kafka: kafka.kafka,
    groupId: `dlq-reader-${newEventId()}`,
    topics: [kafka.topics.authEventsDlq],
    logger,
    handler: async (batch) => {
      deadLetters.push(...batch.messages);
    },
  });
  await dlqReader.start();
  try {
    const rows = await poll(
      () =>
        ch.query<{ rows: string; events: string }>(
          `SELECT count() AS rows, uniqExact(event_id) AS events FROM auth_events FINAL`,
        ),
      (r) => Number(r[0]?.rows) >= valid.length,
    );
    await poll(
      async () => deadLetters.length,
      (n) => n >= invalid.length,
    );

    expect(Number(rows[0]?.rows)).toBe(valid.length);
    expect(Number(rows[0]?.events)).toBe(valid.length);
    const byOutcome = await ch.query<{ outcome: string; n: string }>(
      `SELECT outcome, count() AS n FROM auth_events FINAL GROUP BY outcome ORDER BY outcome`,
    );
    expect(Object.fromEntries(byOutcome.map((r) => [r.outcome, Number(r.n)]))).toEqual({
      allowed: 60,
      insufficient_scope: 60,
      rate_limited: 60,
      unknown_key: 60,
    });
    // One INSERT feeds every view, one after another: the rollups may show the rows a moment later.
    const rollup = await poll(
      () => ch.query<{ n: string }>('SELECT countMerge(requests) AS n FROM auth_rollup_1m'),
      (r) => Number(r[0]?.n) >= valid.length,
    );
    expect(Number(rollup[0]?.n)).toBe(valid.length);

    // Prometheus metrics on the worker's own port.
    // The duplicate may still be in flight when the counts above are complete: wait for the metrics to settle.
    const metrics = await poll(
      async () => (await fetch(`${worker.metricsUrl}/metrics`)).text(),
      (text) => /keywatch_ingest_events_in_total 248/.test(text) && /keywatch_ingest_duplicates_total 1/.test(text),
    );
    expect(metrics).toMatch(/keywatch_ingest_events_in_total 248/);
    expect(metrics).toMatch(/keywatch_ingest_rows_written_total 240/);
    expect(metrics).toMatch(/keywatch_ingest_duplicates_total 1/);
    expect(metrics).toMatch(/keywatch_ingest_dlq_total\{reason="invalid"\} 7/);
    expect(metrics).toMatch(/keywatch_ingest_batch_seconds_count \d+/);
    expect(metrics).toMatch(/keywatch_ingest_consumer_lag\{partition="\d+"\} 0/);

    expect(deadLetters).toHaveLength(invalid.length);
    for (const [i, expected] of invalid.entries()) {
      const letter = deadLetters.find((m) => m.key?.toString() === `bad-${i}`);
      expect(letter, `dead letter for case ${i}`).toBeDefined();
      expect(letter!.value?.toString() ?? '').toBe(expected.bytes); // original bytes, untouched
      expect(letter!.headers?.['x-origin']?.toString()).toBe(`case-${i}`);
      const reason = letter!.headers?.[DLQ_HEADERS.reason]?.toString() ?? '';
      expect(reason).toContain(expected.field);
      expect(letter!.headers?.[DLQ_HEADERS.topic]?.toString()).toBe(kafka.topics.authEvents);
    }
  } finally {
    await Promise.all([dlqReader.close(), worker.close(), producer.close(), ch.close()]);
  }
});
