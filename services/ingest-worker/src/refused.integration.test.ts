import { exampleAuthEvent, type AuthEvent } from '@keywatch/contracts';
import { DLQ_HEADERS } from '@keywatch/kafka';
import { collectMessages, expect, test } from '@keywatch/testkit';
import { countsIn, expectedCounts, knownEvents, poll, rollupTotal, setupIngest } from './testing.js';

test('events ClickHouse refuses are isolated and dead-lettered with its reason while the rest of their batch is counted exactly and the partition moves on', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger }, { maxPartitions: 1 });
  try {
    // Contract-valid (any string is a valid user_agent), but ClickHouse 18.16 refuses the whole
    // insert: "Cannot parse escape sequence: missing second part of surrogate pair" (code 25).
    const poisoned: AuthEvent[] = [0, 1, 2].map((i) => exampleAuthEvent({ user_agent: `agent \ud800 ${i}` }));
    const valid = knownEvents(1_500);
    const mixed = [
      ...valid.slice(0, 500),
      poisoned[0]!,
      ...valid.slice(500, 1_000),
      poisoned[1]!,
      poisoned[2]!,
      ...valid.slice(1_000),
    ];
    await ctx.produce(mixed);
    // The isolation path needs rows the server refuses: JSONEachRow (in RowBinary the worker refuses
    // these strings itself, before the insert; see ingest.test.ts).
    const worker = await ctx.startWorker({ INGEST_INSERT_FORMAT: 'JSONEachRow' });

    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= valid.length,
      60_000,
    );
    for (const source of ['1m', '1h', '1d', 'raw'] as const)
      expect(await countsIn(ctx.ch, source), source).toEqual(expectedCounts(valid));

    const letters = await collectMessages<AuthEvent>(
      kafka.kafka,
      kafka.topics.authEventsDlq,
      (m) => m.length >= poisoned.length,
      30_000,
    );
    expect(letters.map((m) => m.value?.event_id).sort()).toEqual(poisoned.map((e) => e.event_id).sort());
    for (const letter of letters)
      expect(letter.headers[DLQ_HEADERS.reason]).toMatch(/^ClickHouse refused the row: .*surrogate/);

    // Nothing is retried forever: the partition's offsets reach the end and later events flow.
    const later = knownEvents(100, { now: Date.now() + 60_000 });
    await ctx.produce(later);
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= valid.length + later.length,
      60_000,
    );
    expect(await rollupTotal(ctx.ch)).toBe(valid.length + later.length);
    expect((await worker.metrics.deadLetters.get()).values.find((v) => v.labels.reason === 'refused')?.value).toBe(
      poisoned.length,
    );
    expect((await worker.metrics.blocked.get()).values[0]?.value ?? 0).toBe(0);
  } finally {
    await ctx.close();
  }
});
