import { exampleAuthEvent } from '@keywatch/contracts';
import { DLQ_HEADERS, type OutgoingMessage } from '@keywatch/kafka';
import { collectMessages, expect, test } from '@keywatch/testkit';
import { countsIn, expectedCounts, knownEvents, poll, rollupTotal, setupIngest } from './testing.js';

/** A deterministic pseudo-random stream (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS = Object.keys(exampleAuthEvent());
// Wrong for every field: no field of the contract is an array, a boolean or an object without `limit`.
const BAD_VALUES: unknown[] = [[], [1, 2], { x: 1 }, true, false];

/** One malformed message: broken bytes, or a valid event with one field removed or made wrong. */
function malformed(next: () => number): Buffer {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const event: Record<string, unknown> = { ...exampleAuthEvent() };
  switch (Math.floor(next() * 6)) {
    case 0:
      return Buffer.from(JSON.stringify(event).slice(0, Math.floor(next() * 200))); // truncated JSON
    case 1:
      return Buffer.from([0xff, 0xfe, 0x00, Math.floor(next() * 256)]); // not UTF-8
    case 2:
      delete event[pick(FIELDS)];
      return Buffer.from(JSON.stringify(event));
    case 3:
      return Buffer.from(JSON.stringify(pick([42, 'text', [event], null])));
    default: {
      const field = pick(FIELDS);
      event[field] = pick(BAD_VALUES);
      return Buffer.from(JSON.stringify(event));
    }
  }
}

test('10 000 fuzzed malformed messages all reach the dead-letter topic with a reason while valid traffic keeps flowing', async ({
  kafka,
  clickhouse,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger });
  try {
    const next = random(20261128);
    const bad: OutgoingMessage[] = Array.from({ length: 10_000 }, (_, i) => ({
      key: `fuzz-${i}`,
      value: malformed(next),
    }));
    const valid = knownEvents(2_000);
    // Interleaved: each produce call carries both kinds.
    await ctx.startWorker();
    for (let i = 0; i < 10; i++) {
      const slice = valid.slice(i * 200, (i + 1) * 200).map((e) => ({ key: e.key_id, value: JSON.stringify(e) }));
      await ctx.producer.send(kafka.topics.authEvents, [...bad.slice(i * 1_000, (i + 1) * 1_000), ...slice]);
    }
    const t0 = Date.now();
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= valid.length,
    );
    logger.info({ ms: Date.now() - t0 }, 'valid events counted');
    expect(await countsIn(ctx.ch, '1m')).toEqual(expectedCounts(valid));

    const started = Date.now();
    const letters = await collectMessages(
      kafka.kafka,
      kafka.topics.authEventsDlq,
      (m) => m.length >= bad.length,
      20_000,
    );
    logger.info({ ms: Date.now() - started }, 'dead letters collected');
    expect(letters).toHaveLength(bad.length);
    expect(new Set(letters.map((m) => m.key)).size).toBe(bad.length);
    for (const letter of letters) {
      expect(letter.key).toMatch(/^fuzz-/);
      expect(letter.headers[DLQ_HEADERS.reason]?.length ?? 0).toBeGreaterThan(0);
    }
  } finally {
    await ctx.close();
  }
});
