import { isKeyId, parseEventTime, validate } from '@keywatch/contracts';
import { z } from 'zod';
import { ApiError, invalidInput } from '@keywatch/http-api';

/** Bucket sizes of the series and of the rollup tables behind them. */
export type Granularity = 'minute' | 'hour' | 'day';

export const GRANULARITY_MS: Readonly<Record<Granularity, number>> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/** The rollup table holding each granularity (0006_auth_rollups.sql). */
export const ROLLUP_TABLE: Readonly<Record<Granularity, string>> = {
  minute: 'auth_rollup_1m',
  hour: 'auth_rollup_1h',
  day: 'auth_rollup_1d',
};

/** Longest range per series interval: bounds the points of a series (minute: 2 days = 2 880 points). */
export const MAX_RANGE_MS: Readonly<Record<Granularity, number>> = {
  minute: 2 * 86_400_000,
  hour: 92 * 86_400_000,
  day: 1_830 * 86_400_000,
};

/** Longest range of the totals (errors, geo, features, top keys). */
export const MAX_TOTALS_RANGE_MS = 1_830 * 86_400_000;
const DEFAULT_RANGE_MS = 86_400_000;

const Time = z
  .string()
  .refine((text) => parseEventTime(text) !== null, 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');
const TenantId = z.string().min(1).max(200).optional();

export const RangeQuery = z.strictObject({
  from: Time.optional().describe('start, RFC 3339 (default: `to` minus 24 h)'),
  to: Time.optional().describe('end, RFC 3339, exclusive (default: now)'),
  tenant_id: TenantId.describe('root key only: the tenant to read'),
});

export const UsageQuery = RangeQuery.extend({
  interval: z
    .enum(['minute', 'hour', 'day'])
    .optional()
    .describe('bucket size (default hour); minute ≤ 2 days, hour ≤ 92 days, day ≤ 1 830 days'),
});

export const TopKeysQuery = RangeQuery.extend({
  sort: z.enum(['requests', 'errors', 'error_rate']).optional().describe('default requests'),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .refine((text) => Number(text) >= 1 && Number(text) <= 100, 'must be an integer from 1 to 100')
    .optional()
    .describe('1–100, default 10'),
});

export const KeyIdParam = z.strictObject({
  id: z.string().refine(isKeyId, 'must be a key id (key_ followed by 20+ url-safe characters)'),
});

/** Parses `input` with `schema`, or throws a 400 naming the field. */
export function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = validate(schema, input ?? {});
  if (!result.ok) throw invalidInput(result.issues);
  return result.value as z.output<S>;
}

/** A half-open time range `[from, to)` in ms, aligned to `granularity`. */
export interface Range {
  from: number;
  to: number;
  granularity: Granularity;
}

function requestedRange(
  query: { from?: string | undefined; to?: string | undefined },
  now: number,
): { from: number; to: number } {
  const to = query.to ? parseEventTime(query.to)!.getTime() : now;
  const from = query.from ? parseEventTime(query.from)!.getTime() : to - DEFAULT_RANGE_MS;
  if (from >= to) throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
  if (from < 0 || to > Date.UTC(2106, 0, 1))
    throw new ApiError(400, 'invalid_request', 'the range must lie between 1970 and 2106', from < 0 ? 'from' : 'to');
  return { from, to };
}

const floor = (t: number, step: number) => Math.floor(t / step) * step;
const ceil = (t: number, step: number) => Math.ceil(t / step) * step;

/** A series range: widened to whole buckets of `interval` (so every bucket is complete) and bounded per interval. */
export function seriesRange(
  query: { from?: string | undefined; to?: string | undefined },
  interval: Granularity,
  now = Date.now(),
): Range {
  const { from, to } = requestedRange(query, now);
  if (to - from > MAX_RANGE_MS[interval]) {
    throw new ApiError(
      400,
      'range_too_large',
      `a ${interval} series covers at most ${MAX_RANGE_MS[interval] / 86_400_000} days; use a larger interval or a shorter range`,
      'interval',
    );
  }
  const step = GRANULARITY_MS[interval];
  return { from: floor(from, step), to: ceil(to, step), granularity: interval };
}

/** A piece of a totals range read from one rollup table. */
export interface Segment {
  granularity: Granularity;
  from: number;
  to: number;
}

/**
 * A totals range, widened to whole minutes and cut into the fewest rollup pieces that cover it
 * exactly: whole UTC days from the day table, the hours at either end from the hour table, the
 * minutes at either end from the minute table. The answer equals counting raw events in the range,
 * and a long range costs about as much as a short one.
 */
export function totalsRange(
  query: { from?: string | undefined; to?: string | undefined },
  now = Date.now(),
): { from: number; to: number; segments: Segment[] } {
  const requested = requestedRange(query, now);
  if (requested.to - requested.from > MAX_TOTALS_RANGE_MS)
    throw new ApiError(400, 'range_too_large', 'a range covers at most 1 830 days', 'from');
  const from = floor(requested.from, GRANULARITY_MS.minute);
  const to = ceil(requested.to, GRANULARITY_MS.minute);
  return { from, to, segments: segmentsOf(from, to) };
}

/** Splits the minute-aligned `[from, to)` into day, hour and minute pieces (empty ones left out). */
export function segmentsOf(from: number, to: number): Segment[] {
  const segments: Segment[] = [];
  const push = (granularity: Granularity, a: number, b: number) => {
    if (a < b) segments.push({ granularity, from: a, to: b });
  };
  const H = GRANULARITY_MS.hour;
  const D = GRANULARITY_MS.day;
  const hourFrom = Math.min(ceil(from, H), to);
  const hourTo = Math.max(floor(to, H), hourFrom);
  const dayFrom = Math.min(ceil(hourFrom, D), hourTo);
  const dayTo = Math.max(floor(hourTo, D), dayFrom);
  push('minute', from, hourFrom);
  push('hour', hourFrom, dayFrom);
  push('day', dayFrom, dayTo);
  push('hour', dayTo, hourTo);
  push('minute', hourTo, to);
  return segments;
}
