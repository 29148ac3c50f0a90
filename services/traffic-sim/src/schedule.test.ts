import { describe, expect, it } from 'vitest';
import { sequentialSchedule } from './traffic.js';

describe('attack schedule', () => {
  it('runs the attacks one after another after a warm-up, covering the rest of the run', () => {
    expect(sequentialSchedule(['enumeration', 'brute_force', 'rate_limit'], 70_000, 10_000)).toEqual([
      { attack: 'enumeration', startMs: 10_000, endMs: 30_000 },
      { attack: 'brute_force', startMs: 30_000, endMs: 50_000 },
      { attack: 'rate_limit', startMs: 50_000, endMs: 70_000 },
    ]);
    expect(sequentialSchedule([], 70_000, 10_000)).toEqual([]);
  });
});
