import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The detector's Prometheus metrics, in a registry of its own. */
export function createDetectorMetrics(stateSize?: () => Promise<number>) {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'keywatch_detector_events_total',
      help: 'Auth events by result: processed, duplicate (redelivered, state unchanged), late (beyond the allowed lateness, dropped), invalid',
      labelNames: ['result'] as const,
      registers,
    }),
    alerts: new Counter({
      name: 'keywatch_detector_alerts_total',
      help: 'Alerts published (new or escalated) by type and severity',
      labelNames: ['type', 'severity'] as const,
      registers,
    }),
    updates: new Counter({
      name: 'keywatch_detector_alert_updates_total',
      help: 'Alert updates (repeats folded into an open alert) by type',
      labelNames: ['type'] as const,
      registers,
    }),
    triggers: new Counter({
      name: 'keywatch_detector_triggers_total',
      help: 'Revocation triggers emitted by requested action',
      labelNames: ['action'] as const,
      registers,
    }),
    detectionLatency: new Histogram({
      name: 'keywatch_detector_detection_latency_seconds',
      help: 'Wall time of publishing a new alert minus the event time of the event that raised it',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'keywatch_detector_batch_seconds',
      help: 'Processing of one batch, state to commit',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    stageSeconds: new Histogram({
      name: 'keywatch_detector_batch_stage_seconds',
      help: "Wall time of one stage of a batch: decode, plan (building the events' plans), state (both rounds of state calls), dedup (alert records and statuses), publish (alerts, triggers and alert rows made durable), mark (published ranks recorded)",
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    batchEvents: new Histogram({
      name: 'keywatch_detector_batch_events',
      help: 'Events per batch',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    watermarkLag: new Gauge({
      name: 'keywatch_detector_watermark_lag_seconds',
      help: 'Wall clock minus the partition watermark',
      labelNames: ['partition'] as const,
      registers,
    }),
    stateKeys: new Gauge({
      name: 'keywatch_detector_state_keys',
      help: 'Keys under the detector state prefix in Redis (counted at most every 30 s)',
      registers,
      async collect() {
        if (stateSize) this.set(await stateSize().catch(() => -1));
      },
    }),
  };
}

export type DetectorMetrics = ReturnType<typeof createDetectorMetrics>;

export { serveMetrics } from '@keywatch/metrics';
