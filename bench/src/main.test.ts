import { describe, expect, test } from 'vitest';
import { parseCommandLine, parseDuration } from './main.js';

describe('bench command line', () => {
  test('suites, all by default', () => {
    expect(parseCommandLine([])).toMatchObject({ kind: 'suites', name: 'all', quick: false });
    expect(parseCommandLine(['keys', '--quick', '--runs', '2'])).toMatchObject({
      kind: 'suites',
      name: 'keys',
      suites: ['keys'],
      quick: true,
      runs: 2,
    });
    expect(() => parseCommandLine(['nope'])).toThrow(/unknown suite "nope"/);
    expect(() => parseCommandLine(['keys', '--runs', '0'])).toThrow(/--runs must be a positive integer/);
  });

  test('soak with its defaults and options', () => {
    expect(parseCommandLine(['soak'])).toEqual({
      kind: 'soak',
      durationMs: 600_000,
      rate: 2_000,
      sampleMs: 5_000,
      partitions: 6,
      out: undefined,
    });
    expect(
      parseCommandLine(['soak', '--duration', '1m', '--rate', '500', '--sample', '2s', '--out', '/tmp/x']),
    ).toMatchObject({ durationMs: 60_000, rate: 500, sampleMs: 2_000, out: '/tmp/x' });
    expect(() => parseCommandLine(['soak', '--duration', 'ten minutes'])).toThrow(/--duration must be a duration/);
    expect(() => parseCommandLine(['soak', '--rate', '2.5'])).toThrow(/--rate must be a positive integer/);
  });

  test('scaling lists', () => {
    expect(parseCommandLine(['scaling'])).toEqual({
      kind: 'scaling',
      events: 200_000,
      partitions: [1, 4, 8],
      instances: [1, 2, 4],
    });
    expect(parseCommandLine(['scaling', '--quick', '--partitions', '2,6'])).toMatchObject({
      events: 10_000,
      partitions: [2, 6],
    });
    expect(() => parseCommandLine(['scaling', '--instances', '1,x'])).toThrow(/--instances must be a positive integer/);
  });

  test('durations', () => {
    expect(parseDuration('90s', '--d')).toBe(90_000);
    expect(parseDuration('1.5h', '--d')).toBe(5_400_000);
    expect(parseDuration('250', '--d')).toBe(250);
  });
});
