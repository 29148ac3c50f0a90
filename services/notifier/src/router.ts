import { Alert, decodeJson } from '@keywatch/contracts';
import type { BatchHandler } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import {
  deliveryId,
  receivesAlertsOf,
  SEVERITY_ORDER,
  type DeliveryJobData,
  type DeliveryQueue,
  type Webhook,
  type WebhookStore,
} from '@keywatch/webhooks';
import type { JobsOptions } from 'bullmq';
import type { NotifierMetrics } from './metrics.js';

export interface RouterDependencies {
  webhooks: Pick<WebhookStore, 'list' | 'listPlatform'>;
  queue: DeliveryQueue;
  /** attempts, backoff, retention: the same for every job. */
  jobOptions: JobsOptions;
  metrics: NotifierMetrics;
  logger: Logger;
  /** Alerts detected longer ago than this (ms) are not delivered (default 24 h): see the README. */
  maxAgeMs?: number;
  now?: () => number;
}

const rank = (severity: string) => SEVERITY_ORDER.indexOf(severity as never);

/** Whether `webhook` wants `alert`: at or above its minimum severity, and of one of its types (none listed = all). */
export function routes(
  webhook: Pick<Webhook, 'min_severity' | 'types'>,
  alert: Pick<Alert, 'severity' | 'type'>,
): boolean {
  return (
    rank(alert.severity) >= rank(webhook.min_severity) &&
    (webhook.types.length === 0 || webhook.types.includes(alert.type))
  );
}

/**
 * The `security-alerts` handler: each alert becomes one BullMQ job per matching destination
 * ({@link receivesAlertsOf}) with the job id {@link deliveryId}(alert, destination, severity), which
 * BullMQ adds only once, so a redelivered batch adds nothing. Resolves only after `addBulk` did.
 */
export function createAlertRouter(deps: RouterDependencies): BatchHandler {
  const log = deps.logger.child({ component: 'router' });
  const maxAgeMs = deps.maxAgeMs ?? 86_400_000;
  const now = deps.now ?? Date.now;
  /**
   * Drops a candidate when a job of a higher severity of its alert exists for its destination:
   * detector instances can publish an alert's versions out of order, and "medium" after "high" is stale.
   */
  async function withoutSuperseded<J extends { above: string[] }>(candidates: J[]): Promise<J[]> {
    /* eslint-disable @typescript-eslint/no-unnecessary-condition -- BullMQ answers null for a missing job despite its type */
    const found = await Promise.all(
      candidates.map(async (job) =>
        (await Promise.all(job.above.map((id) => deps.queue.getJob(id)))).some(
          (existing) => existing !== undefined && existing !== null,
        ),
      ),
    );
    /* eslint-enable @typescript-eslint/no-unnecessary-condition */
    return candidates.filter((_, i) => !found[i]);
  }

  return async (batch) => {
    const alerts: Alert[] = [];
    for (const message of batch.messages) {
      const decoded = decodeJson(Alert, message.value);
      if (!decoded.ok) {
        deps.metrics.alerts.inc({ result: 'invalid' });
        log.warn(
          {
            partition: batch.partition,
            offset: message.offset,
            issues: decoded.issues.slice(0, 5).map((i) => `${i.field}: ${i.reason}`),
          },
          'invalid alert skipped',
        );
        continue;
      }
      alerts.push(decoded.value);
    }
    // Destinations are read once per batch: each tenant's when one of its alerts is in it, the platform's once.
    const destinations = new Map<string, Webhook[]>();
    let platform: Webhook[] | undefined;
    const jobs: Array<{ name: string; data: DeliveryJobData; opts: JobsOptions; above: string[] }> = [];
    // The highest severity queued so far in this batch per alert and destination.
    const queuedRank = new Map<string, number>();
    for (const alert of alerts) {
      if (now() - Date.parse(alert.detected_at) > maxAgeMs) {
        deps.metrics.alerts.inc({ result: 'stale' });
        continue;
      }
      let hooks: Webhook[] = [];
      if (alert.tenant_id !== null) {
        hooks = destinations.get(alert.tenant_id) ?? [];
        if (!destinations.has(alert.tenant_id))
          destinations.set(alert.tenant_id, (hooks = await deps.webhooks.list(alert.tenant_id)));
      }
      platform ??= await deps.webhooks.listPlatform();
      const matching = [...hooks, ...platform].filter(
        (hook) => receivesAlertsOf(hook, alert.tenant_id) && routes(hook, alert),
      );
      deps.metrics.alerts.inc({ result: matching.length > 0 ? 'routed' : 'unrouted' });
      const r = rank(alert.severity);
      for (const hook of matching) {
        const pair = `${alert.alert_id}|${hook.id}`;
        if (r < (queuedRank.get(pair) ?? -1)) {
          deps.metrics.superseded.inc();
          continue;
        }
        queuedRank.set(pair, r);
        const id = deliveryId(alert.alert_id, hook.id, alert.severity);
        const above = SEVERITY_ORDER.slice(r + 1).map((higher) => deliveryId(alert.alert_id, hook.id, higher));
        jobs.push({
          name: alert.type,
          data: { delivery_id: id, webhook_id: hook.id, tenant_id: alert.tenant_id, alert },
          opts: { ...deps.jobOptions, jobId: id },
          above,
        });
      }
    }
    const current = await withoutSuperseded(jobs);
    deps.metrics.superseded.inc(jobs.length - current.length);
    if (current.length === 0) return;
    await deps.queue.addBulk(current.map(({ name, data, opts }) => ({ name, data, opts })));
    deps.metrics.jobs.inc(current.length);
    log.debug({ partition: batch.partition, jobs: current.length }, 'delivery jobs added');
  };
}
