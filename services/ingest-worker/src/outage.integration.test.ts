import { expect, startProxy, test } from '@keywatch/testkit';
import { countsIn, expectedCounts, knownEvents, poll, rollupTotal, setupIngest } from './testing.js';

test('while ClickHouse is unreachable the worker pauses and keeps its offsets, then resumes: nothing lost, nothing doubled', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger });
  const target = new URL(clickhouse.url);
  const proxy = await startProxy({ host: target.hostname, port: Number(target.port) });
  try {
    const events = knownEvents(4_000);
    const expected = expectedCounts(events);
    const worker = await ctx.startWorker({
      CLICKHOUSE_URL: proxy.url,
      INGEST_BATCH_MAX_ROWS: '500',
      INGEST_RETRY_MIN_DELAY: '100ms',
    });
    await ctx.produce(events.slice(0, 1_000));
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= 1_000,
    );

    // ClickHouse "goes away" mid-stream (the shared server stays up; its path is cut).
    await proxy.cut();
    await ctx.produce(events.slice(1_000, 3_000));
    expect(
      await poll(
        async () => (await worker.metrics.blocked.get()).values[0]?.value ?? 0,
        (v) => v === 1,
        10_000,
      ),
    ).toBe(1);
    await new Promise((r) => setTimeout(r, 3_000));
    const during = await rollupTotal(ctx.ch);
    expect(during).toBeLessThan(3_000);
    await ctx.produce(events.slice(3_000));

    await proxy.restore();
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= events.length,
      15_000,
    );
    expect((await worker.metrics.blocked.get()).values[0]?.value).toBe(0);
    for (const source of ['1m', '1h', '1d', 'raw'] as const)
      expect(await countsIn(ctx.ch, source), source).toEqual(expected);
  } finally {
    await ctx.close();
    await proxy.close();
  }
});

test('a worker started while ClickHouse is unreachable waits and then ingests everything once', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger });
  const target = new URL(clickhouse.url);
  const proxy = await startProxy({ host: target.hostname, port: Number(target.port) });
  try {
    await proxy.cut();
    const events = knownEvents(1_500);
    await ctx.produce(events);
    await ctx.startWorker({ CLICKHOUSE_URL: proxy.url, INGEST_RETRY_MIN_DELAY: '100ms' });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await rollupTotal(ctx.ch)).toBe(0);
    await proxy.restore();
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= events.length,
      15_000,
    );
    expect(await countsIn(ctx.ch, '1m')).toEqual(expectedCounts(events));
  } finally {
    await ctx.close();
    await proxy.close();
  }
});
