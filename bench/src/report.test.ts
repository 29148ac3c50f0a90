import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { figure, formatNumber, formatTable, NOT_MEASURED, startMeta, writeJson } from './report.js';

describe('figure', () => {
  test('derives the ratio from its same-run baseline and is info without a target', () => {
    const f = figure('lookup', 50_000, 'ops/s', { baseline: { name: 'GET', value: 100_000 } });
    expect(f).toEqual({
      figure: 'lookup',
      value: 50_000,
      unit: 'ops/s',
      baseline: 'GET',
      baselineValue: 100_000,
      ratio: 0.5,
      verdict: 'info',
    });
  });

  test('passes or falls short of a target', () => {
    expect(figure('p99', 1.5, 'ms', { target: { below: 2 } })).toMatchObject({ target: '< 2 ms', verdict: 'pass' });
    expect(figure('p99', 2, 'ms', { target: { below: 2 } })).toMatchObject({ verdict: 'short' });
    expect(figure('rate', 900, 'ops/s', { target: { atLeast: 1000 } })).toMatchObject({
      target: '≥ 1,000 ops/s',
      verdict: 'short',
    });
  });
});

test('formatNumber keeps three significant digits for small values and groups thousands', () => {
  expect(formatNumber(123_456.7)).toBe('123,457');
  expect(formatNumber(12.345)).toBe('12.3');
  expect(formatNumber(1.2345)).toBe('1.23');
  expect(formatNumber(0.012345)).toBe('0.0123');
  expect(formatNumber(0)).toBe('0');
});

test('formatTable aligns every column under its title', () => {
  const table = formatTable([
    figure('GET', 100_000, 'ops/s'),
    figure('lookup p99', 0.5, 'ms', { baseline: { name: 'GET p99', value: 0.25 }, target: { below: 2 } }),
  ]);
  const lines = table.split('\n');
  expect(lines).toHaveLength(4);
  const ratioEnd = (lines[0] ?? '').indexOf('ratio') + 'ratio'.length;
  expect((lines[3] ?? '').slice(0, ratioEnd).endsWith('2.00×')).toBe(true);
  expect(lines[3]).toMatch(/< 2 ms\s+pass$/);
});

test('writeJson writes the figures with the machine and commit they came from', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kw-bench-'));
  const meta = startMeta('keys', { quick: true, runs: 1 }).finish({ keys: { redis: '7' } });
  const file = writeJson([figure('GET', 1, 'ops/s')], meta, dir);
  expect(path.basename(file)).toMatch(/^keys-quick-\d{4}-\d\d-\d\dT[\d-]+Z\.json$/);
  const written = JSON.parse(readFileSync(file, 'utf8')) as { meta: typeof meta; figures: unknown[] };
  expect(written.figures).toHaveLength(1);
  expect(written.meta.cpus).toBeGreaterThan(0);
  expect(written.meta.load_before).toHaveLength(3);
  expect(written.meta.notes).toEqual({ keys: { redis: '7' } });
});

test('a failed suite is a row with no value', () => {
  const table = formatTable([
    { figure: 'detect suite failed: boom', value: Number.NaN, unit: '', verdict: 'failed' },
    figure('GET', 1, 'ops/s'),
  ]);
  expect(table.split('\n')[2]).toMatch(/^detect suite failed: boom\s+—\s+failed$/);
});

test('a figure that was not measured prints as such, with no ratio and no verdict', () => {
  const unmeasured = figure('worker, sustained', Number.NaN, 'events/s', {
    baseline: { name: 'raw', value: 40_000 },
    target: { atLeast: 50_000 },
  });
  expect(unmeasured).toEqual({
    figure: 'worker, sustained',
    value: Number.NaN,
    unit: 'events/s',
    target: '≥ 50,000 events/s',
    verdict: 'info',
  });
  // A measured figure against an unmeasured baseline keeps its value but gets no ratio.
  expect(figure('floor', 5_000, 'events/s', { baseline: { name: 'raw', value: Number.NaN } }).ratio).toBeUndefined();
  const row = formatTable([unmeasured]).split('\n')[2] ?? '';
  expect(row).toContain(NOT_MEASURED);
  expect(row).not.toMatch(/NaN|Infinity/);
});
