import { describe, expect, test } from 'vitest';
import {
  measure,
  median,
  medianOf,
  MIN_RATE_SPAN_S,
  percentile,
  rateOver,
  repeat,
  summarize,
  type Measurement,
} from './harness.js';

const ascending = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('percentile (nearest rank)', () => {
  test('of 1..100 is the value at that rank', () => {
    const values = ascending(100);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
  });

  test('never interpolates: p99 of ten values is the largest, p50 the fifth', () => {
    const values = ascending(10);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 50)).toBe(5);
  });

  test('p0 is the smallest value and a single value is every percentile', () => {
    expect(percentile(ascending(10), 0)).toBe(1);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([7], 99)).toBe(7);
  });

  test('is NaN for no values and refuses a p outside 0–100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});

describe('median', () => {
  test('is the middle value of an odd count, in any order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([10, 1000, 1])).toBe(10);
  });

  test('is the mean of the middle two of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  test('is NaN for no values and does not reorder its input', () => {
    expect(median([])).toBeNaN();
    const input = [3, 1, 2];
    median(input);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe('summarize', () => {
  test('sorts the latencies and reports throughput over the given seconds', () => {
    const latencies = Float64Array.from([5, 1, 4, 2, 3]);
    expect(summarize('op', 2, latencies, 0.5)).toEqual({
      name: 'op',
      concurrency: 2,
      ops: 5,
      seconds: 0.5,
      opsPerSec: 10,
      p50: 3,
      p95: 5,
      p99: 5,
      max: 5,
    });
  });
});

const run = (opsPerSec: number, p99: number): Measurement => ({
  name: 'get',
  concurrency: 1,
  ops: 100,
  seconds: 100 / opsPerSec,
  opsPerSec,
  p50: p99 / 2,
  p95: p99,
  p99,
  max: p99 * 2,
});

describe('medianOf and repeat', () => {
  test('take each field’s median across runs independently and keep every run', () => {
    const summary = medianOf([run(100, 3), run(300, 1), run(200, 9)]);
    expect(summary.opsPerSec).toBe(200);
    expect(summary.p99).toBe(3);
    expect(summary.runs).toHaveLength(3);
  });

  test('repeat runs the function once per run and returns medians per named figure', async () => {
    const seen: number[] = [];
    const result = await repeat(3, async (i) => {
      seen.push(i);
      return { a: run([100, 300, 200][i] ?? 0, 1), b: run(50, [5, 1, 3][i] ?? 0) };
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(result.a.opsPerSec).toBe(200);
    expect(result.b.p99).toBe(3);
  });

  test('repeat refuses a run count that is not a positive integer', async () => {
    await expect(repeat(0, async () => ({}))).rejects.toThrow(RangeError);
  });
});

describe('measure', () => {
  test('runs exactly the asked operations, never more than `concurrency` at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const result = await measure({
      name: 'sleep',
      concurrency: 4,
      operations: 40,
      op: async () => {
        peak = Math.max(peak, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight -= 1;
      },
    });
    expect(result.ops).toBe(40);
    expect(peak).toBe(4);
    expect(result.p50).toBeGreaterThan(0);
    expect(result.max).toBeGreaterThanOrEqual(result.p99);
  });

  test('does not record warm-up operations', async () => {
    let calls = 0;
    const result = await measure({ name: 'count', concurrency: 2, operations: 10, warmup: 5, op: async () => calls++ });
    expect(calls).toBe(15);
    expect(result.ops).toBe(10);
  });

  test('in duration mode stops starting operations after the duration, growing its buffer as needed', async () => {
    const result = await measure({
      name: 'spin',
      concurrency: 1,
      durationMs: 30,
      capacity: 1,
      op: () => Promise.resolve(),
    });
    expect(result.ops).toBeGreaterThan(1);
    expect(result.seconds).toBeGreaterThanOrEqual(0.03);
  });

  test('rethrows the first failure with the measurement’s name and the operation number', async () => {
    await expect(
      measure({
        name: 'broken',
        concurrency: 3,
        operations: 10,
        op: async (i) => {
          if (i === 4) throw new Error('boom');
        },
      }),
    ).rejects.toThrow('broken: operation 4 failed: boom');
  });

  test('stops when its signal is aborted, with the abort reason', async () => {
    const abort = new AbortController();
    const result = measure({
      name: 'stop',
      concurrency: 2,
      durationMs: 60_000,
      signal: abort.signal,
      op: () => new Promise((resolve) => setTimeout(resolve, 1)),
    });
    setTimeout(() => abort.abort(new Error('interrupted')), 20);
    await expect(result).rejects.toThrow('interrupted');
  });

  test('refuses both or neither of operations and durationMs, and a concurrency below 1', async () => {
    const op = () => Promise.resolve();
    await expect(measure({ name: 'x', concurrency: 1, op })).rejects.toThrow(/exactly one/);
    await expect(measure({ name: 'x', concurrency: 1, operations: 1, durationMs: 1, op })).rejects.toThrow(
      /exactly one/,
    );
    await expect(measure({ name: 'x', concurrency: 0, operations: 1, op })).rejects.toThrow(/concurrency/);
  });
});

describe('rateOver', () => {
  test('is count per second over a span long enough to measure', () => {
    expect(rateOver(100_000, 2)).toBe(50_000);
    expect(rateOver(1_000, MIN_RATE_SPAN_S)).toBe(4_000);
  });

  test('is not a number when one poll saw everything or nothing was counted', () => {
    // The --quick ingest run once printed 5 000 events over 0 s as 5 000 000 events/s.
    expect(rateOver(5_000, 0)).toBeNaN();
    expect(rateOver(5_000, MIN_RATE_SPAN_S - 0.001)).toBeNaN();
    expect(rateOver(0, 10)).toBeNaN();
  });
});
