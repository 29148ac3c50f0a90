import { createHash } from 'node:crypto';
import {
  authEventMessageKey,
  toEventTime,
  type Alert,
  type AuthEvent,
  type RevocationTrigger,
} from '@keywatch/contracts';
import type { AlertStatusStore } from '@keywatch/alerts';
import { FirstSeenMemo } from './detectors/baseline.js';
import { credentialStuffing } from './detectors/credential-stuffing.js';
import { failedAuthSpike } from './detectors/failed-auth.js';
import { geography } from './detectors/geo.js';
import { rateLimitViolation } from './detectors/rate-limit.js';
import { revokedKeyInUse } from './detectors/revoked-key.js';
import { secretKeyClientSide } from './detectors/secret-key.js';
import { threatListIp } from './detectors/threat-list.js';
import { unfamiliarClient } from './detectors/unfamiliar-client.js';
import { usageSpike } from './detectors/usage-spike.js';
import {
  SEVERITIES,
  SEVERITY_RANK,
  type Detector,
  type Evaluate,
  type EventContext,
  type Signal,
  type ThreatMatch,
} from './detectors/types.js';
import type { FeedbackView } from './feedback.js';
import { TRUST_EXEMPT } from './feedback.js';
import type { LocationLookup } from './geo.js';
import type { DetectorParams } from './params.js';
import { Plan } from './state/ops.js';
import type { DedupRecord, DedupRequest, StateStore } from './state/store.js';

/** Every detector, in the order their operations run within an event's plan. */
export const DETECTORS: readonly Detector[] = [
  secretKeyClientSide,
  revokedKeyInUse,
  rateLimitViolation,
  failedAuthSpike,
  credentialStuffing,
  geography,
  usageSpike,
  unfamiliarClient,
  threatListIp,
];

/** An alert as stored: the contract's fields plus what dedup keeps. */
export interface AlertState {
  alert: Alert;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** What one batch produced. */
export interface BatchOutcome {
  /** Alerts to publish now: new ones and ones whose severity rose. */
  publish: Alert[];
  /** Triggers for newly published alerts that ask for an action. */
  triggers: RevocationTrigger[];
  /** The latest state of every alert the batch touched (for the alerts table). */
  touched: AlertState[];
  /** Ranks to record as published once `publish` is durable. */
  published: Array<{ dedupKey: string; rank: number }>;
  /** The highest event time in the batch (for the lag metric). */
  watermark: number;
  stats: { processed: number; duplicates: number; late: number; signals: number; suppressed: number };
  /** Wall seconds of the engine's stages: building the plans, applying them, opening or continuing alerts. */
  timings: { plan: number; state: number; dedup: number };
}

export interface EngineOptions {
  store: StateStore;
  params: (tenantId: string | null) => DetectorParams;
  geo: LocationLookup;
  /** Bounded lateness in ms (default 60 000). */
  latenessMs?: number;
  /** Wall clock, for `detected_at` (default `Date.now`). */
  now?: () => number;
  detectors?: readonly Detector[];
  /**
   * The people's side of alerts (`@keywatch/alerts`, under the deployment's base prefix): a
   * resolved alert whose problem comes back after it was resolved opens a new alert. Without it,
   * every repeat continues its alert.
   */
  statuses?: Pick<AlertStatusStore, 'getMany'>;
  /**
   * Suppression rules and trusted networks (docs/contracts.md#analytics-api): signals they cover are
   * dropped before dedup, so no alert is opened or continued. Without it, nothing is suppressed.
   */
  feedback?: FeedbackView;
  /** Platform threat lists (from files): matched per event, as are the tenants' own lists in `feedback`. */
  threats?: ThreatLists;
}

/** Address → the list and entry it is on. */
export interface ThreatLists {
  match(ip: string): ThreatMatch | undefined;
}

/**
 * How long (wall clock) an event id's seen set lives per message key: longer than the topic's 7 days'
 * retention, so a replay into the same state finds everything it already applied. The sets are
 * trimmed to the lateness plus the redelivery hold (see state/apply-plan.ts), so this costs little.
 */
const SEEN_TTL_S = 8 * 86_400;

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** The id a new alert of `dedupKey` gets: the same for every replay of the same events. */
export const candidateAlertId = (dedupKey: string, ts: number, suppressionMs: number) =>
  `alr_${hash(`${dedupKey}|${Math.floor(ts / suppressionMs)}`).slice(0, 26)}`;

/** The id of the alert that follows a resolved one on the same dedup key: the same for every replay. */
export const reopenedAlertId = (resolvedId: string, dedupKey: string, ts: number, suppressionMs: number) =>
  `alr_${hash(`${dedupKey}|${Math.floor(ts / suppressionMs)}|after|${resolvedId}`).slice(0, 26)}`;

/** Trigger ids derive from the alert, so a redelivered trigger is the same trigger. */
export const triggerId = (alertId: string, action: string) => `trg_${hash(`${alertId}|${action}`).slice(0, 26)}`;

interface Merged {
  signal: Signal;
  severityRank: number;
  windowStart: number;
  windowEnd: number;
  repeats: number;
  /** Event times of the merged signals, and whether each came from a fresh event. */
  stamps: Array<{ ts: number; fresh: boolean }>;
}

/**
 * The detection step of one partition's batch, in event time: drops late events, applies every
 * other event's plan atomically, merges signals per dedup key and opens or continues their alerts.
 * The caller makes `publish`, `triggers` and `touched` durable, then records `published`, then commits.
 */
export function createEngine(options: EngineOptions) {
  const latenessMs = options.latenessMs ?? 60_000;
  const now = options.now ?? Date.now;
  const detectors = options.detectors ?? DETECTORS;
  const { store } = options;
  const firstSeen = new FirstSeenMemo();

  /**
   * `claimant` names the batch (topic, partition, first offset): a new alert or a severity rise is
   * published by the first claimant only (see DedupRequest.claimant); a retried or redelivered
   * batch has the same claimant and publishes again.
   */
  async function processBatch(events: readonly AuthEvent[], claimant = ''): Promise<BatchOutcome> {
    const t0 = performance.now();
    let watermark = 0;
    const plans: Plan[] = [];
    const evaluators: Array<{ evaluate: Evaluate[]; ts: number }> = [];
    const stats: BatchOutcome['stats'] = { processed: 0, duplicates: 0, late: 0, signals: 0, suppressed: 0 };
    const feedback = options.feedback;
    await feedback?.refresh();
    const wallNow = now();
    const firsts = firstSeen.batch();
    for (const event of events) {
      const ts = Date.parse(event.ts);
      watermark = Math.max(watermark, ts);
      const ctx: EventContext = {
        event,
        ts,
        params: options.params(event.tenant_id),
        location: options.geo(event.ip),
        latenessMs,
        firsts,
        trusted: feedback?.trusted(event.tenant_id, event.ip) ?? false,
        threat: options.threats?.match(event.ip) ?? feedback?.threat(event.tenant_id, event.ip),
      };
      const plan = new Plan();
      const messageKey = authEventMessageKey(event);
      plan.add({
        kind: 'seen',
        key: plan.key(`seen:${messageKey}`, messageKey),
        eventId: event.event_id,
        ts,
        latenessMs,
        ttlS: SEEN_TTL_S,
      });
      if (event.key_id !== null && event.tenant_id !== null) firsts.mark(plan, 'k', event.key_id, ts);
      if (event.tenant_id !== null) firsts.mark(plan, 't', event.tenant_id, ts);
      const evaluate: Evaluate[] = [];
      for (const detector of detectors) {
        const e = detector(ctx, plan);
        if (e) evaluate.push(e);
      }
      plans.push(plan);
      evaluators.push({ evaluate, ts });
    }
    const t1 = performance.now();
    const results = await store.apply(plans);
    const t2 = performance.now();
    firsts.applied(new Set(plans.filter((_, i) => results[i]?.[0] === -1)));
    const merged = new Map<string, Merged>();
    results.forEach((result, i) => {
      if (result[0] === -1) {
        stats.late += 1;
        return;
      }
      const fresh = result[0] === 1;
      if (fresh) stats.processed += 1;
      else stats.duplicates += 1;
      for (const evaluate of evaluators[i]?.evaluate ?? []) {
        for (const signal of evaluate(result, fresh)) {
          stats.signals += 1;
          if (
            feedback &&
            ((TRUST_EXEMPT.has(signal.type) && signal.ip !== null && feedback.trusted(signal.tenantId, signal.ip)) ||
              feedback.suppressedBy(signal, wallNow))
          ) {
            stats.suppressed += 1;
            continue;
          }
          const rank = SEVERITY_RANK[signal.severity];
          const m = merged.get(signal.dedupKey);
          if (!m) {
            merged.set(signal.dedupKey, {
              signal,
              severityRank: rank,
              windowStart: signal.windowStart,
              windowEnd: signal.windowEnd,
              repeats: fresh ? 1 : 0,
              stamps: [{ ts: signal.ts, fresh }],
            });
          } else {
            // The latest evidence wins; the window and severity only widen.
            if (rank >= m.severityRank) m.signal = { ...signal, ts: m.signal.ts };
            else m.signal = { ...m.signal, evidence: signal.evidence, summary: m.signal.summary };
            m.severityRank = Math.max(m.severityRank, rank);
            m.windowStart = Math.min(m.windowStart, signal.windowStart);
            m.windowEnd = Math.max(m.windowEnd, signal.windowEnd);
            m.repeats += fresh ? 1 : 0;
            m.stamps.push({ ts: signal.ts, fresh });
          }
        }
      }
    });
    const entries = [...merged.values()];
    const detectedAt = now();
    const request = (m: Merged): DedupRequest => ({
      dedupKey: m.signal.dedupKey,
      candidateId: candidateAlertId(m.signal.dedupKey, m.signal.ts, m.signal.suppressionMs),
      ts: m.signal.ts,
      suppressionMs: m.signal.suppressionMs,
      severityRank: m.severityRank,
      windowStart: m.windowStart,
      windowEnd: m.windowEnd,
      repeats: m.repeats,
      detectedAt,
      claimant,
    });
    const records = await store.dedup(entries.map(request));
    const closed = await reopenResolved(entries, records, request);
    const timings = { plan: (t1 - t0) / 1000, state: (t2 - t1) / 1000, dedup: (performance.now() - t2) / 1000 };
    const outcome: BatchOutcome = { publish: [], triggers: [], touched: [], published: [], watermark, stats, timings };
    // A resolved alert's last version: the repeats from before its resolution.
    for (const { m, record } of closed) outcome.touched.push(toAlertState(m.signal, record));
    entries.forEach((m, i) => {
      const record = records[i];
      if (!record) return;
      const state = toAlertState(m.signal, record);
      outcome.touched.push(state);
      if (record.publish) {
        outcome.publish.push(state.alert);
        outcome.published.push({ dedupKey: m.signal.dedupKey, rank: record.severityRank });
        if (m.signal.action && m.signal.keyId && m.signal.tenantId && record.publishedRank === 0) {
          outcome.triggers.push({
            v: 1,
            trigger_id: triggerId(record.alertId, m.signal.action),
            ts: toEventTime(detectedAt),
            tenant_id: m.signal.tenantId,
            key_id: m.signal.keyId,
            alert_id: record.alertId,
            reason: m.signal.type,
            requested_action: m.signal.action,
          });
        }
      }
    });
    return outcome;
  }

  /**
   * Alerts people resolved whose problem came back: a signal from an event later (in event time)
   * than the resolution opens a new alert in place of the resolved one, with a new id derived from
   * it (so a replay finds the same one). Repeats from before the resolution, and every repeat of an
   * acknowledged alert, continue the alert. Statuses are read once per batch: a resolution that
   * lands while a batch is in flight takes effect from the next batch.
   */
  async function reopenResolved(
    entries: readonly Merged[],
    records: Array<DedupRecord | undefined>,
    request: (m: Merged) => DedupRequest,
  ): Promise<Array<{ m: Merged; record: DedupRecord }>> {
    if (!options.statuses || entries.length === 0) return [];
    const statuses = await options.statuses.getMany(records.map((r) => r?.alertId ?? ''));
    const reopen: Array<{ i: number; after: Array<{ ts: number; fresh: boolean }> }> = [];
    statuses.forEach((status, i) => {
      const m = entries[i];
      // A dismissed alert is closed like a resolved one: once its suppression (if any) ends, a repeat opens a new alert.
      if ((status?.status !== 'resolved' && status?.status !== 'dismissed') || !m) return;
      const after = m.stamps.filter((s) => s.ts > status.updatedAt);
      if (after.length > 0) reopen.push({ i, after });
    });
    if (reopen.length === 0) return [];
    const closed: Array<{ m: Merged; record: DedupRecord }> = [];
    const again = await store.dedup(
      reopen.map(({ i, after }) => {
        const m = entries[i] as Merged;
        const resolved = records[i] as DedupRecord;
        const ts = Math.min(...after.map((s) => s.ts));
        const repeats = after.filter((s) => s.fresh).length;
        // The resolved alert keeps what came before its resolution (when the batch brought any).
        if (after.length < m.stamps.length)
          closed.push({ m, record: { ...resolved, count: resolved.count - repeats } });
        return {
          ...request(m),
          ts,
          windowStart: Math.max(m.windowStart, Math.min(ts, m.windowEnd)),
          repeats,
          candidateId: reopenedAlertId(resolved.alertId, m.signal.dedupKey, ts, m.signal.suppressionMs),
          closing: resolved.alertId,
        };
      }),
    );
    reopen.forEach(({ i }, j) => {
      records[i] = again[j];
    });
    return closed;
  }

  return { processBatch, latenessMs };
}

export type DetectorEngine = ReturnType<typeof createEngine>;

function toAlertState(signal: Signal, record: DedupRecord): AlertState {
  const alert: Alert = {
    v: 1,
    alert_id: record.alertId,
    type: signal.type,
    severity: SEVERITIES[record.severityRank - 1] ?? signal.severity,
    tenant_id: signal.tenantId,
    key_id: signal.keyId,
    ip: signal.ip,
    window_start: toEventTime(record.windowStart),
    window_end: toEventTime(Math.max(record.windowEnd, record.windowStart)),
    detected_at: toEventTime(record.detectedAt),
    summary: signal.summary,
    evidence: {
      ...signal.evidence,
      count: record.count,
      first_seen: toEventTime(record.firstTs),
      last_seen: toEventTime(record.lastTs),
    },
    dedup_key: signal.dedupKey,
    action:
      signal.action === 'revoke' ? 'revoke_requested' : signal.action === 'suspend' ? 'suspend_requested' : 'none',
  };
  return { alert, count: record.count, firstSeen: record.firstTs, lastSeen: record.lastTs };
}
