import type { Plan, Results } from './ops.js';

/** A signal's request to open or continue the alert of its dedup key. */
export interface DedupRequest {
  dedupKey: string;
  /** The id a new alert gets (derived from the dedup key and the signal's suppression bucket). */
  candidateId: string;
  ts: number;
  suppressionMs: number;
  severityRank: number;
  windowStart: number;
  windowEnd: number;
  /** Signals of fresh events merged into this request; a redelivered event's signal finds its alert again without counting. */
  repeats: number;
  detectedAt: number;
  /**
   * The id of an alert people resolved: if the record still stands for it, the candidate opens a
   * new alert instead of continuing it (the problem came back).
   */
  closing?: string;
  /**
   * Who asks (a batch: topic, partition and first offset): a rank not yet published is claimed by
   * the first asker, so concurrent batches of other partitions (on this instance or another) do not
   * publish it again; the same claimant (a retried or redelivered batch) or anyone after
   * `CLAIM_MS` may publish it.
   */
  claimant?: string;
}

/** How long (wall ms) a claim to publish an alert's rank holds against other claimants. */
export const CLAIM_MS = 30_000;

/** The alert a dedup key currently stands for. */
export interface DedupRecord {
  alertId: string;
  firstTs: number;
  lastTs: number;
  severityRank: number;
  /** Highest severity already published to the alerts topic (0 = not yet). */
  publishedRank: number;
  count: number;
  windowStart: number;
  windowEnd: number;
  detectedAt: number;
  created: boolean;
  /** This request holds the claim to publish the alert at `severityRank` (higher than `publishedRank`). */
  publish: boolean;
}

/**
 * Where detector state lives. Redis in production (shared by every instance of the group); an
 * in-memory implementation with the same semantics serves unit tests. Chosen explicitly.
 */
export interface StateStore {
  /** Runs each plan atomically, in order, and returns each plan's results. */
  apply(plans: readonly Plan[]): Promise<Results[]>;
  /** Opens or continues alerts, in order. */
  dedup(requests: readonly DedupRequest[]): Promise<DedupRecord[]>;
  /** Records that an alert was published at `rank` (never lowers it). */
  markPublished(entries: ReadonlyArray<{ dedupKey: string; rank: number }>): Promise<void>;
  /** Approximate size of the state, for the metrics: keys under the store's prefix. */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** Key of a dedup record. */
export const dedupKeyName = (dedupKey: string) => `dd:${dedupKey}`;

const IP_DEDUP = 'credential_stuffing:ip:';

/**
 * The entity whose state shard holds a dedup record: the dedup key itself, except for a source
 * IP's credential-stuffing alert, which lives with that IP's windows (every successful event from
 * the IP reads it, in the same Lua call as those windows).
 */
export const dedupEntity = (dedupKey: string) =>
  dedupKey.startsWith(IP_DEDUP) ? dedupKey.slice(IP_DEDUP.length) : dedupKey;

export function parseDedupRecord(raw: readonly unknown[]): DedupRecord {
  const n = (i: number) => Number(raw[i] ?? 0);
  return {
    alertId: String(raw[0]),
    firstTs: n(1),
    lastTs: n(2),
    severityRank: n(3),
    publishedRank: n(4),
    count: n(5),
    windowStart: n(6),
    windowEnd: n(7),
    detectedAt: n(8),
    created: n(9) === 1,
    publish: n(10) === 1,
  };
}
