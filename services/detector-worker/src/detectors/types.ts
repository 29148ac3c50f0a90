import { OUTCOME_STATUS, type AlertType, type AuthEvent, type Outcome, type RequestedAction, type Severity } from '@keywatch/contracts';
import type { Location } from '../geo.js';
import { HOUR, type DetectorParams } from '../params.js';
import type { Plan, Results } from '../state/ops.js';
import { maxBucketWindow } from './windows.js';

/** What a detector found on one event, before dedup turns it into an alert. */
export interface Signal {
  type: AlertType;
  severity: Severity;
  dedupKey: string;
  suppressionMs: number;
  tenantId: string | null;
  keyId: string | null;
  ip: string | null;
  /** Event-time span of the evidence. */
  windowStart: number;
  windowEnd: number;
  /** The event time of the event that produced the signal. */
  ts: number;
  summary: string;
  evidence: Record<string, unknown>;
  /** Set only by the detectors allowed to ask for an automatic response. */
  action?: RequestedAction;
}

export interface FirstSeenBatch {
  /** Marks the entity's first event time (once). */
  mark(plan: Plan, scope: string, entity: string, ts: number): void;
  /** Reads the entity's first event time (0 when unknown). */
  read(plan: Plan, scope: string, entity: string): (results: Results) => number;
  /** The batch's plans were applied; `late` ones changed nothing. */
  applied(late: ReadonlySet<Plan>): void;
}

/** One event as the detectors see it. */
export interface EventContext {
  event: AuthEvent;
  /** `ts` in Unix ms. */
  ts: number;
  params: DetectorParams;
  location: Location | null;
  /** Bounded lateness, ms. */
  latenessMs: number;
  /** Entities' first event times (written once, remembered by the process). */
  firsts: FirstSeenBatch;
}

/** Turns a plan's results into signals; `fresh` is false for a redelivered event. */
export type Evaluate = (results: Results, fresh: boolean) => Signal[];

/** Adds its operations to the event's plan and returns how to read their results (or nothing to do). */
export type Detector = (ctx: EventContext, plan: Plan) => Evaluate | undefined;

export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** One step up, capped at critical. */
export const raise = (severity: Severity): Severity => SEVERITIES[Math.min(3, SEVERITY_RANK[severity])] ?? 'critical';

/**
 * Outcomes that mean the request failed authentication or authorization: exactly those the
 * contract answers with 401 or 403 (section 2), derived so a new outcome is classified once.
 */
export const FAILURES: ReadonlySet<Outcome> = new Set(
  (Object.entries(OUTCOME_STATUS) as Array<[Outcome, number | null]>).filter(([, status]) => status === 401 || status === 403).map(([outcome]) => outcome),
);

/** Outcomes that mean the credential itself is not a working key. */
export const INVALID_CREDENTIAL: ReadonlySet<Outcome> = new Set<Outcome>(['malformed_key', 'unknown_key', 'revoked_key', 'expired_key', 'inactive_key']);

/**
 * How far behind the newest event a set shared by several partitions (an IP's attempts, a tenant's
 * failing credentials) keeps members, beyond its window and the lateness: those partitions are
 * consumed at their own pace (a backfill, a rebalance, one busy partition), so one may be an hour
 * ahead in event time of another, and its inserts must not trim what the other still needs. The
 * sets stay bounded by their caps.
 */
export const CROSS_PARTITION_SKEW_MS = HOUR;

/** Wall-clock TTL (seconds) for state covering `spanMs` of event time: generous, since a lagging consumer reads it later than live. */
export const ttlFor = (spanMs: number): number => Math.ceil((spanMs * 2 + 2 * HOUR) / 1000);

/** The key an event names, with its tenant (a key without a tenant in the event is treated as unknown). */
export function subject(event: AuthEvent): { keyId: string; tenantId: string } | null {
  return event.key_id !== null && event.tenant_id !== null ? { keyId: event.key_id, tenantId: event.tenant_id } : null;
}

/** Buckets of `bucketMs` in one page (hash) of a counter series: about an hour's worth. */
const perPage = (bucketMs: number) => Math.max(1, Math.floor(HOUR / bucketMs));
const pageKey = (scope: string, entity: string, bucketMs: number, bucket: number) => `s:${scope}:${entity}:${bucketMs}:${Math.floor(bucket / perPage(bucketMs))}`;

/** Counts one event into the bucket of `ts` of a counter series. */
export function countInto(plan: Plan, scope: string, entity: string, metric: string, bucketMs: number, ts: number, spanMs: number): void {
  const bucket = Math.floor(ts / bucketMs);
  plan.add({ o: 'hincr', k: plan.key(pageKey(scope, entity, bucketMs, bucket), entity), f: `${metric}${bucket}`, n: 1, t: ttlFor(spanMs) });
}

/**
 * Reads buckets `from..to` (inclusive) of the counter series `metrics` of one entity (one HMGET
 * per page for all of them); the reader gives each metric's count per bucket.
 */
export function readBuckets<M extends string>(plan: Plan, scope: string, entity: string, metrics: readonly M[], bucketMs: number, from: number, to: number): (results: Results) => Record<M, Map<number, number>> {
  const pages = new Map<string, number[]>();
  for (let b = from; b <= to; b += 1) {
    const key = pageKey(scope, entity, bucketMs, b);
    pages.set(key, [...(pages.get(key) ?? []), b]);
  }
  const reads = [...pages.entries()].map(([key, buckets]) => ({ buckets, at: plan.add({ o: 'hmget', k: plan.key(key, entity), f: metrics.flatMap((m) => buckets.map((b) => `${m}${b}`)) }) }));
  return (results) => {
    const counts = Object.fromEntries(metrics.map((m) => [m, new Map<number, number>()])) as Record<M, Map<number, number>>;
    for (const { buckets, at } of reads) {
      const values = results[at];
      metrics.forEach((m, j) => buckets.forEach((b, i) => counts[m].set(b, Array.isArray(values) ? Number(values[j * buckets.length + i] || 0) : 0)));
    }
    return counts;
  };
}

/**
 * The busiest window of `windowMs` (at `bucketMs` resolution) that contains `ts`, and where it
 * starts. Windows after `ts` count too: events of one entity may come from several partitions in
 * any order, and whichever event of a busy window is processed last must see all of it.
 */
export function readWindowSum(plan: Plan, scope: string, entity: string, metric: string, bucketMs: number, ts: number, windowMs: number): (results: Results) => { sum: number; start: number } {
  const at = Math.floor(ts / bucketMs);
  const width = Math.max(1, Math.round(windowMs / bucketMs));
  const read = readBuckets(plan, scope, entity, [metric], bucketMs, at - width + 1, at + width - 1);
  return (results) => {
    const best = maxBucketWindow(read(results)[metric] ?? new Map<number, number>(), at, width);
    return { sum: best.sum, start: best.from * bucketMs };
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A duration for people: `45 s`, `5 min`, `2.5 h`, `3 d` (the largest unit it reaches, at most one
 * decimal, trailing `.0` dropped).
 */
export function formatDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [24 * HOUR, 'd'],
    [HOUR, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (Math.abs(ms) >= size) return `${round(ms / size)} ${unit}`;
  return `${Math.round(ms)} ms`;
}
