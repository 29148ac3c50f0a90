import type { Detector } from './types.js';
import { countInto, formatDuration, readBuckets, subject, type BucketCounts } from './types.js';

/** Sub-buckets per window: the resolution at which a violation's duration is measured. */
const SUBS = 5;

type Params = Parameters<Detector>[0]['params']['rate_limit_violation'];

// The rule's steps, as plain functions: evaluated for every event of every key, where closures
// per event cost allocations (and a name each, under tsx).

/** Requests and rejections of window `w` (in sub-buckets). */
function windowStats(counts: BucketCounts<'r' | 'l'>, w: number) {
  return {
    requests: counts.sum('r', w * SUBS, (w + 1) * SUBS - 1),
    rateLimited: counts.sum('l', w * SUBS, (w + 1) * SUBS - 1),
  };
}

/** Window `w` breaks a rule: the count rule at any time, the ratio rule once the window closed in event time. */
function violates(counts: BucketCounts<'r' | 'l'>, p: Params, ts: number, latenessMs: number, w: number): boolean {
  const l = counts.sum('l', w * SUBS, (w + 1) * SUBS - 1);
  if (l >= p.min_rate_limited && l > 0) return true;
  if (l === 0 || ts < (w + 1) * p.window_ms + latenessMs) return false;
  const r = counts.sum('r', w * SUBS, (w + 1) * SUBS - 1);
  return r >= p.ratio_min_requests && r > 0 && l / r >= p.min_ratio;
}

/** Sub-buckets from the first to the last with a rejection, over windows w and w + 1. */
function lasting(counts: BucketCounts<'r' | 'l'>, w: number): number {
  let first = -1;
  let last = -1;
  for (let i = w * SUBS; i < (w + 2) * SUBS; i += 1) {
    if (counts.get('l', i) === 0) continue;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? 0 : last - first + 1;
}

function sustained(counts: BucketCounts<'r' | 'l'>, p: Params, ts: number, latenessMs: number, w: number): boolean {
  return (
    violates(counts, p, ts, latenessMs, w) && violates(counts, p, ts, latenessMs, w + 1) && lasting(counts, w) > SUBS
  );
}

/**
 * A key that keeps hitting its rate limit: two consecutive windows each with ≥ `min_rate_limited`
 * rejections or ≥ `min_ratio` rejected, and rejections lasting longer than one window (so one burst
 * straddling a boundary is not two windows). The ratio rule waits for windows closed by event time.
 * Only rejections with a limit state count (`rate_limit: null` is a limiter outage; see README).
 */
export const rateLimitViolation: Detector = ({ event, ts, params, latenessMs }, plan) => {
  const p = params.rate_limit_violation;
  const who = subject(event);
  if (!p.enabled || !who) return undefined;
  const size = p.window_ms;
  const sub = size / SUBS;
  const span = size * 3;
  countInto(plan, 'k', who.keyId, 'r', sub, ts, span);
  if (event.outcome === 'rate_limited' && event.rate_limit !== null)
    countInto(plan, 'k', who.keyId, 'l', sub, ts, span);
  const b = Math.floor(ts / size);
  const read = readBuckets(plan, 'k', who.keyId, ['r', 'l'], sub, (b - 2) * SUBS, (b + 1) * SUBS - 1);
  return (results) => {
    const counts = read(results);
    const pair = sustained(counts, p, ts, latenessMs, b - 1)
      ? b - 1
      : sustained(counts, p, ts, latenessMs, b - 2)
        ? b - 2
        : undefined;
    if (pair === undefined) return [];
    const windows = [pair, pair + 1].map((w) => ({
      start: new Date(w * size).toISOString(),
      ...windowStats(counts, w),
    }));
    const total = windows.reduce((a, w) => a + w.rateLimited, 0);
    return [
      {
        type: 'rate_limit_violation',
        severity: 'medium',
        dedupKey: `rate_limit_violation:${who.keyId}`,
        suppressionMs: p.suppression_ms,
        tenantId: who.tenantId,
        keyId: who.keyId,
        ip: null,
        windowStart: pair * size,
        windowEnd: Math.min(ts, (pair + 2) * size - 1),
        ts,
        summary: `Key ${who.keyId} was rate-limited ${total} times over two consecutive windows of ${formatDuration(size)}.`,
        evidence: {
          windows,
          window_ms: size,
          lasting_ms: lasting(counts, pair) * sub,
          limit: event.rate_limit?.limit ?? null,
          min_rate_limited: p.min_rate_limited,
          min_ratio: p.min_ratio,
        },
      },
    ];
  };
};
