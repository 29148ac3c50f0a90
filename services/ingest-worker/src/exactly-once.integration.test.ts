import { expect, test } from '@keywatch/testkit';
import type { IngestWorker } from './worker.js';
import { countsIn, expectedCounts, knownEvents, poll, rollupTotal, setupIngest } from './testing.js';

const counter = async (worker: IngestWorker, name: 'duplicates' | 'rowsWritten' | 'eventsIn') =>
  (await worker.metrics[name].get()).values[0]?.value ?? 0;
const SOURCES = ['1m', '1h', '1d', 'raw'] as const;

test('counts per key, outcome, country and route are exact in every rollup and stay exact when the topic is replayed', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger });
  try {
    const events = knownEvents(3_000);
    const expected = expectedCounts(events);
    await ctx.produce(events);
    const worker = await ctx.startWorker();
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= events.length,
    );
    for (const source of SOURCES) expect(await countsIn(ctx.ch, source), source).toEqual(expected);

    // A replay: every event produced again (new offsets, same event_ids), the first 50 twice more.
    const replay = [...events, ...events.slice(0, 50), ...events.slice(0, 50)];
    await ctx.produce(replay);
    expect(
      await poll(
        () => counter(worker, 'duplicates'),
        (n) => n >= replay.length,
      ),
    ).toBe(replay.length);
    expect(await counter(worker, 'rowsWritten')).toBe(events.length);
    for (const source of SOURCES) expect(await countsIn(ctx.ch, source), source).toEqual(expected);
  } finally {
    await ctx.close();
  }
});

test('a worker that dies after ClickHouse acknowledged its inserts but before it committed leaves no double count after the redelivery', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger });
  try {
    const events = knownEvents(2_000);
    const expected = expectedCounts(events);
    await ctx.produce(events);
    // The "crashing" worker: every insert reaches ClickHouse, then the step before the commit fails,
    // so no offset is ever committed; it is then shut down, as a crash would end it.
    let acknowledged = 0;
    const crashing = await ctx.startWorker(
      {},
      {
        afterInsert: () => {
          acknowledged += 1;
          throw new Error('crash between insert and commit');
        },
      },
    );
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= events.length,
    );
    // The rows are visible a moment before the worker reads ClickHouse's answer.
    expect(
      await poll(
        async () => acknowledged,
        (n) => n > 0,
      ),
    ).toBeGreaterThan(0);
    await crashing.close();
    expect(await countsIn(ctx.ch, '1m')).toEqual(expected);

    // Its successor in the same group gets every message again, from the uncommitted offsets.
    const successor = await ctx.startWorker();
    expect(
      await poll(
        () => counter(successor, 'eventsIn'),
        (n) => n >= events.length,
      ),
    ).toBe(events.length);
    await poll(
      () => counter(successor, 'duplicates'),
      (n) => n >= events.length,
    );
    expect(await counter(successor, 'rowsWritten')).toBe(0);
    for (const source of SOURCES) expect(await countsIn(ctx.ch, source), source).toEqual(expected);
  } finally {
    await ctx.close();
  }
});
