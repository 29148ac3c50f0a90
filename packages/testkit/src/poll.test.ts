import { expect, test } from 'vitest';
import { poll, pollUntil } from './poll.js';

test('poll returns the first value that is done, or the last one read when the time is up', async () => {
  let n = 0;
  expect(
    await poll(
      async () => ++n,
      (v) => v >= 3,
      1_000,
      1,
    ),
  ).toBe(3);
  let m = 0;
  const last = await poll(
    async () => ++m,
    () => false,
    30,
    5,
  );
  expect(last).toBe(m);
  expect(m).toBeGreaterThan(1);
});

test('pollUntil says whether the check came true in time', async () => {
  let calls = 0;
  expect(await pollUntil(() => ++calls === 2, 1_000, 1)).toBe(true);
  expect(await pollUntil(() => false, 20, 5)).toBe(false);
});
