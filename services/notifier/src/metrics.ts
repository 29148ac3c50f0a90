import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The notifier's Prometheus metrics, in a registry of its own. */
export function createNotifierMetrics(sample: {
  queueDepth: () => Promise<number>;
  deadLetters: () => Promise<number>;
}) {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    alerts: new Counter({
      name: 'keywatch_notifier_alerts_total',
      help: 'Alerts consumed, by result: routed (jobs added), unrouted (no matching destination), invalid',
      labelNames: ['result'] as const,
      registers,
    }),
    jobs: new Counter({
      name: 'keywatch_notifier_jobs_added_total',
      help: 'Delivery jobs handed to the queue (a job id already present is not added twice)',
      registers,
    }),
    superseded: new Counter({
      name: 'keywatch_notifier_jobs_superseded_total',
      help: 'Deliveries not queued: a higher severity of the same alert was already queued for that destination (a stale version)',
      registers,
    }),
    deliveries: new Counter({
      name: 'keywatch_notifier_deliveries_total',
      help: 'Delivery attempts by result: delivered, retry (failed, will retry), dead_letter (failed for good), suppressed (alert acknowledged/resolved, destination gone), rate_limited (postponed)',
      labelNames: ['result'] as const,
      registers,
    }),
    requestSeconds: new Histogram({
      name: 'keywatch_notifier_request_seconds',
      help: 'One webhook request, connect to response',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    alertToDeliverySeconds: new Histogram({
      name: 'keywatch_notifier_alert_to_delivery_seconds',
      help: "Wall time from the alert's detected_at to a successful delivery",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'keywatch_notifier_queue_depth',
      help: 'Deliveries waiting, delayed (retry backoff) or in flight (sampled at scrape)',
      registers,
      async collect() {
        this.set(await sample.queueDepth().catch(() => -1));
      },
    }),
    deadLetters: new Gauge({
      name: 'keywatch_notifier_dead_letters',
      help: 'Dead-lettered deliveries waiting for a replay (sampled at scrape)',
      registers,
      async collect() {
        this.set(await sample.deadLetters().catch(() => -1));
      },
    }),
  };
}

export type NotifierMetrics = ReturnType<typeof createNotifierMetrics>;
