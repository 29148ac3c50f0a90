import { expect, test } from '@keywatch/testkit';
import { countsIn, expectedCounts, knownEvents, poll, rollupTotal, setupIngest } from './testing.js';

test('two workers in one group split the partitions through rebalances and count every event once', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger }, { maxPartitions: 6 });
  try {
    const events = knownEvents(6_000, { tenants: 4 });
    const expected = expectedCounts(events);
    const a = await ctx.startWorker({ INGEST_BATCH_MAX_ROWS: '300' });
    await ctx.produce(events.slice(0, 2_000));
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= 500,
    );

    // B joins mid-stream: a rebalance splits the partitions.
    const b = await ctx.startWorker({ INGEST_BATCH_MAX_ROWS: '300' });
    await ctx.produce(events.slice(2_000, 4_000));
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= 3_000,
    );
    const consumedByB = async () => (await b.metrics.eventsIn.get()).values[0]?.value ?? 0;
    await ctx.produce(events.slice(4_000, 5_000));
    expect(await poll(consumedByB, (n) => n > 0)).toBeGreaterThan(0);

    // A leaves (graceful shutdown: its batches are written and committed): B takes everything.
    await a.close();
    await ctx.produce(events.slice(5_000));
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= events.length,
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const source of ['1m', '1h', 'raw'] as const) expect(await countsIn(ctx.ch, source), source).toEqual(expected);
  } finally {
    await ctx.close();
  }
});
