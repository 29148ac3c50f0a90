import {
  OUTCOME_STATUS,
  type AlertType,
  type AuthEvent,
  type Outcome,
  type RequestedAction,
  type Severity,
} from '@keywatch/contracts';
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
  /**
   * Any write-once time: field `field` of hash `name` (in `entity`'s shard), written with HSETNX
   * (TTL `ttlS`) unless known written, and read unless known. Returns the reader (0 when unset).
   */
  once(
    plan: Plan,
    name: string,
    entity: string,
    field: string,
    value: number,
    ttlS: number,
  ): (results: Results) => number;
  /** Reads a write-once time (0 when unset), unless known. */
  readOnce(plan: Plan, name: string, entity: string, field: string): (results: Results) => number;
  /**
   * Keeps `member`'s earliest time in the sorted set `name` (score minus the time, so ZADD GT keeps
   * the earliest; at most `cap` members), unless this process knows an earlier or equal one is there.
   */
  earliest(plan: Plan, name: string, entity: string, member: string, ts: number, ttlS: number, cap: number): void;
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
  /** The address is in the tenant's trusted networks: the geography and stuffing detectors do not judge it. */
  trusted: boolean;
  /** The threat list (and its entry) the address is on, if any. */
  threat: ThreatMatch | undefined;
}

/** Which threat list an address matched, and the entry (address or CIDR) it matched. */
export interface ThreatMatch {
  list: string;
  entry: string;
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
 * contract answers with 401 or 403 (docs/contracts.md#outcomes), derived so a new outcome is classified once.
 */
export const FAILURES: ReadonlySet<Outcome> = new Set(
  (Object.entries(OUTCOME_STATUS) as Array<[Outcome, number | null]>)
    .filter(([, status]) => status === 401 || status === 403)
    .map(([outcome]) => outcome),
);

/** Outcomes that mean the credential itself is not a working key. */
export const INVALID_CREDENTIAL: ReadonlySet<Outcome> = new Set<Outcome>([
  'malformed_key',
  'unknown_key',
  'revoked_key',
  'expired_key',
  'inactive_key',
]);

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
const pageKey = (scope: string, entity: string, bucketMs: number, bucket: number) =>
  `s:${scope}:${entity}:${bucketMs}:${Math.floor(bucket / perPage(bucketMs))}`;

/** Counts one event into the bucket of `ts` of a counter series. */
export function countInto(
  plan: Plan,
  scope: string,
  entity: string,
  metric: string,
  bucketMs: number,
  ts: number,
  spanMs: number,
): void {
  const bucket = Math.floor(ts / bucketMs);
  plan.add({
    kind: 'hincr',
    key: plan.key(pageKey(scope, entity, bucketMs, bucket), entity),
    field: `${metric}${bucket}`,
    by: 1,
    ttlS: ttlFor(spanMs),
  });
}

/** Counts per bucket of a few metrics over a range of buckets, as {@link readBuckets} read them. */
export class BucketCounts<M extends string> {
  constructor(
    private readonly metrics: readonly M[],
    /** First bucket of the range. */
    readonly from: number,
    /** Last bucket of the range (inclusive). */
    readonly to: number,
    /** Metric by metric, bucket by bucket. */
    private readonly values: Float64Array,
  ) {}

  /** The count of `metric` in `bucket` (0 outside the range). */
  get(metric: M, bucket: number): number {
    if (bucket < this.from || bucket > this.to) return 0;
    return this.values[this.metrics.indexOf(metric) * (this.to - this.from + 1) + bucket - this.from] ?? 0;
  }

  /** The sum of `metric` over buckets `from..to` (inclusive). */
  sum(metric: M, from: number, to: number): number {
    let n = 0;
    for (let b = from; b <= to; b += 1) n += this.get(metric, b);
    return n;
  }
}

/**
 * Reads buckets `from..to` (inclusive) of the counter series `metrics` of one entity: one `window`
 * read per page (a page holds a contiguous run of buckets) for all of them.
 */
export function readBuckets<M extends string>(
  plan: Plan,
  scope: string,
  entity: string,
  metrics: readonly M[],
  bucketMs: number,
  from: number,
  to: number,
): (results: Results) => BucketCounts<M> {
  const per = perPage(bucketMs);
  const reads: Array<{ a: number; b: number; at: number }> = [];
  for (let a = from; a <= to;) {
    const b = Math.min(to, (Math.floor(a / per) + 1) * per - 1);
    reads.push({
      a,
      b,
      at: plan.add({
        kind: 'window',
        key: plan.key(pageKey(scope, entity, bucketMs, a), entity),
        metrics: [...metrics],
        fromBucket: a,
        toBucket: b,
      }),
    });
    a = b + 1;
  }
  const width = to - from + 1;
  return (results) => {
    const values = new Float64Array(metrics.length * width);
    for (const { a, b, at } of reads) {
      const got = results[at];
      if (!Array.isArray(got)) continue;
      const n = b - a + 1;
      for (let j = 0; j < metrics.length; j += 1) {
        for (let i = 0; i < n; i += 1) values[j * width + a - from + i] = Number(got[j * n + i]) || 0;
      }
    }
    return new BucketCounts(metrics, from, to, values);
  };
}

/**
 * The busiest window of `windowMs` (at `bucketMs` resolution) that contains `ts`, and where it
 * starts. Windows after `ts` count too: events of one entity may come from several partitions in
 * any order, and whichever event of a busy window is processed last must see all of it.
 */
export function readWindowSum(
  plan: Plan,
  scope: string,
  entity: string,
  metric: string,
  bucketMs: number,
  ts: number,
  windowMs: number,
): (results: Results) => { sum: number; start: number } {
  const at = Math.floor(ts / bucketMs);
  const width = Math.max(1, Math.round(windowMs / bucketMs));
  const read = readBuckets(plan, scope, entity, [metric], bucketMs, at - width + 1, at + width - 1);
  return (results) => {
    const counts = read(results);
    const best = maxBucketWindow((b) => counts.get(metric, b), at, width);
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
