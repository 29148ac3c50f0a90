import {
  Alert,
  RevocationTrigger,
  alertMessageKey,
  decodeAuthEvent,
  revocationTriggerMessageKey,
  validate,
  formatIssues,
  type AuthEvent,
  type TopicNames,
} from '@keywatch/contracts';
import type { BatchHandler, ConsumedBatch, EventProducer, OutgoingMessage } from '@keywatch/kafka';
import type { RowInserter } from '@keywatch/clickhouse';
import type { Logger } from '@keywatch/logger';
import { alertRowVersion, toAlertRow, type AlertRow } from './alert-rows.js';
import type { DetectorEngine } from './engine.js';
import { SEVERITY_RANK } from './detectors/types.js';
import type { DetectorMetrics } from './metrics.js';
import type { StateStore } from './state/store.js';

/** Where alert rows go: ClickHouse in production (through `groupInserts`). */
export type AlertSink = RowInserter<AlertRow>;

export interface HandlerDependencies {
  engine: DetectorEngine;
  store: StateStore;
  producer: EventProducer;
  sink: AlertSink;
  topics: Pick<TopicNames, 'securityAlerts' | 'keyRevocationTriggers'>;
  metrics: DetectorMetrics;
  logger: Logger;
  /** Default `security_alerts`. */
  table?: string;
  /**
   * Backoff between attempts to write alert rows while ClickHouse is away (default 200 ms doubling
   * to 5 s), and how often the batch heartbeats while one attempt is in flight (default 2 s).
   */
  retry?: { minDelayMs: number; maxDelayMs: number; heartbeatEveryMs?: number };
  /** True once the worker is closing: a write that fails then is not retried (the batch is redelivered). */
  closing?: () => boolean;
}

/**
 * One partition's batch: detect, make alerts, triggers and alert rows durable, record what was
 * published and the watermark; only then does the runner commit, so a redelivered batch finds the
 * same alerts and republishes what was not recorded (at least once on the topic, exactly once by id).
 */
export function createDetectorHandler(deps: HandlerDependencies): BatchHandler {
  const table = deps.table ?? 'security_alerts';
  const retry = deps.retry ?? { minDelayMs: 200, maxDelayMs: 5_000 };
  let sequence = 0;
  // The highest severity this process sent per alert id: severity only rises within an alert, so a
  // lower one is a stale version from a concurrent batch and is not sent.
  const sentRank = new Map<string, number>();
  // Alert sends go out one after another: two concurrent producer.send calls can reach the broker in
  // either order, which could land a lower severity last on the topic.
  let alertSends: Promise<unknown> = Promise.resolve();
  const sendAlertsInOrder = (messages: OutgoingMessage[]): Promise<void> => {
    if (messages.length === 0) return Promise.resolve();
    const sending = alertSends.then(() => deps.producer.send(deps.topics.securityAlerts, messages));
    alertSends = sending.catch(() => undefined);
    return sending;
  };
  const current = (alerts: readonly Alert[]) =>
    alerts.filter((a) => {
      const rank = SEVERITY_RANK[a.severity];
      if (rank < (sentRank.get(a.alert_id) ?? 0)) return false;
      if (sentRank.size >= 100_000) sentRank.clear();
      sentRank.set(a.alert_id, rank);
      return true;
    });

  /**
   * Writes the batch's alert rows, retrying while ClickHouse is away and heartbeating between
   * attempts so the member keeps its partitions (KafkaJS's own backoff sends no heartbeats).
   */
  async function writeRows(batch: ConsumedBatch, rows: readonly AlertRow[], abandoned: () => boolean): Promise<void> {
    let delay = retry.minDelayMs;
    for (let failures = 1; ; failures += 1) {
      // An attempt can also hang (a connection ClickHouse's return left dead) until the client's
      // timeout: heartbeats meanwhile too (KafkaJS sends one at most every heartbeat interval;
      // a refused one surfaces at the next explicit heartbeat or at the commit).
      const beating = setInterval(() => void batch.heartbeat().catch(() => undefined), retry.heartbeatEveryMs ?? 2_000);
      try {
        await deps.sink.insert(table, rows);
        return;
      } catch (error) {
        // Closing, or the batch already failed (its alerts or triggers were not sent): no retry
        // outliving the batch.
        if (deps.closing?.() || abandoned()) throw error;
        deps.logger[failures <= 3 ? 'warn' : 'error'](
          { err: error, partition: batch.partition, rows: rows.length, failures, retry_in_ms: delay },
          'alert rows not written to ClickHouse; retrying (offsets stay uncommitted)',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (abandoned()) throw error;
        await batch.heartbeat();
        delay = Math.min(delay * 2, retry.maxDelayMs);
      } finally {
        clearInterval(beating);
      }
    }
  }

  return async (batch) => {
    const started = process.hrtime.bigint();
    const events: AuthEvent[] = [];
    for (const message of batch.messages) {
      // Straight-line checks, zod only for what they refuse (the ingest worker dead-letters invalid
      // events; here they are only counted).
      const decoded = decodeAuthEvent(message.value);
      if (decoded.ok) events.push(decoded.event);
      else deps.metrics.events.inc({ result: 'invalid' });
    }
    // The claimant is the batch itself: a retry or a redelivery (from the committed offset, on any
    // instance) starts at the same offset and may publish again; other partitions' batches may not.
    const decoded = process.hrtime.bigint();
    const outcome = await deps.engine.processBatch(
      events,
      `${batch.topic}:${batch.partition}:${batch.messages[0]?.offset ?? ''}`,
    );
    const now = new Date();
    const rows = outcome.touched.map((state) =>
      toAlertRow(state, alertRowVersion(SEVERITY_RANK[state.alert.severity], now.getTime(), sequence++), now),
    );
    for (const alert of outcome.publish) {
      const checked = validate(Alert, alert);
      if (!checked.ok)
        throw new Error(`detector built an invalid alert (${alert.type}): ${formatIssues(checked.issues)}`);
    }
    for (const trigger of outcome.triggers) {
      const checked = validate(RevocationTrigger, trigger);
      if (!checked.ok) throw new Error(`detector built an invalid trigger: ${formatIssues(checked.issues)}`);
    }
    const detected = process.hrtime.bigint();
    const publish = current(outcome.publish);
    let failed = false;
    const watched = (sending: Promise<void>) =>
      sending.catch((error: unknown) => {
        failed = true;
        throw error;
      });
    await Promise.all([
      watched(sendAlertsInOrder(publish.map((a) => ({ key: alertMessageKey(a), value: JSON.stringify(a) })))),
      watched(
        deps.producer.send(
          deps.topics.keyRevocationTriggers,
          outcome.triggers.map((t) => ({ key: revocationTriggerMessageKey(t), value: JSON.stringify(t) })),
        ),
      ),
      rows.length > 0 ? writeRows(batch, rows, () => failed) : undefined,
    ]);
    const durable = process.hrtime.bigint();
    await deps.store.markPublished(outcome.published);
    const marked = process.hrtime.bigint();

    const { stats } = outcome;
    const m = deps.metrics;
    m.events.inc({ result: 'processed' }, stats.processed);
    m.events.inc({ result: 'duplicate' }, stats.duplicates);
    m.events.inc({ result: 'late' }, stats.late);
    const wall = Date.now();
    for (const alert of publish) {
      m.alerts.inc({ type: alert.type, severity: alert.severity });
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- last_seen is an ISO string; a malformed one parses to NaN below
      const raisedBy = Date.parse(String(alert.evidence.last_seen ?? alert.window_end));
      if (Number.isFinite(raisedBy)) m.detectionLatency.observe(Math.max(0, wall - raisedBy) / 1000);
    }
    const published = new Set(publish.map((a) => a.alert_id));
    for (const state of outcome.touched)
      if (!published.has(state.alert.alert_id)) m.updates.inc({ type: state.alert.type });
    for (const t of outcome.triggers) m.triggers.inc({ action: t.requested_action });
    if (outcome.watermark > 0)
      m.watermarkLag.set({ partition: String(batch.partition) }, Math.max(0, wall - outcome.watermark) / 1000);
    m.batchSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    m.batchEvents.observe(batch.messages.length);
    m.stageSeconds.observe({ stage: 'decode' }, Number(decoded - started) / 1e9);
    m.stageSeconds.observe({ stage: 'plan' }, outcome.timings.plan);
    m.stageSeconds.observe({ stage: 'state' }, outcome.timings.state);
    m.stageSeconds.observe({ stage: 'dedup' }, outcome.timings.dedup);
    m.stageSeconds.observe({ stage: 'publish' }, Number(durable - detected) / 1e9);
    m.stageSeconds.observe({ stage: 'mark' }, Number(marked - durable) / 1e9);
    if (publish.length > 0) {
      deps.logger.info(
        {
          partition: batch.partition,
          alerts: publish.map((a) => ({
            alert_id: a.alert_id,
            type: a.type,
            severity: a.severity,
            key_id: a.key_id,
            tenant_id: a.tenant_id,
          })),
        },
        'alerts published',
      );
    }
    if (stats.late > 0)
      deps.logger.warn({ partition: batch.partition, late: stats.late }, 'events beyond the allowed lateness dropped');
  };
}
