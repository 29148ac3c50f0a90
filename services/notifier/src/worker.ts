import type { AlertStatusStore } from '@keywatch/alerts';
import type { Logger } from '@keywatch/logger';
import type { RateLimiter } from '@keywatch/ratelimit';
import {
  checkDestinationUrl,
  receivesAlertsOf,
  SIGNATURE_HEADER,
  signPayload,
  type Delivery,
  type DeliveryJobData,
  type DeliveryLog,
  type WebhookStore,
} from '@keywatch/webhooks';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { postPinned, type PostResult } from './deliver.js';
import type { NotifierMetrics } from './metrics.js';
import { slackMessage } from './slack.js';

export interface DeliveryWorkerOptions {
  /** A connection without ioredis `keyPrefix` and with `maxRetriesPerRequest: null` (BullMQ's requirement for workers). */
  connection: Redis;
  queueName: string;
  prefix: string;
  webhooks: Pick<WebhookStore, 'get' | 'signingSecrets'>;
  deliveries: DeliveryLog;
  statuses: Pick<AlertStatusStore, 'get'>;
  limiter: RateLimiter;
  metrics: NotifierMetrics;
  logger: Logger;
  allowPrivate: boolean;
  timeoutMs: number;
  concurrency: number;
  /** Requests per destination per minute. */
  ratePerMinute: number;
}

/** What a job returned: kept on the completed job. */
export type DeliveryOutcome = 'delivered' | 'suppressed';

/**
 * The BullMQ worker that delivers: skips acknowledged or resolved alerts and gone destinations,
 * delays (without an attempt) while the destination's rate limit is spent, re-checks the URL against
 * SSRF, signs and POSTs. A failed request throws so BullMQ retries; the last failure stays as the
 * dead letter. A forbidden address is {@link UnrecoverableError}: retrying cannot fix it.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): Worker<DeliveryJobData, DeliveryOutcome> {
  const log = options.logger.child({ component: 'delivery' });
  const { metrics } = options;

  async function process(job: Job<DeliveryJobData, DeliveryOutcome>, token?: string): Promise<DeliveryOutcome> {
    const { delivery_id: id, webhook_id: webhookId, tenant_id: tenantId, alert } = job.data;
    const context = { delivery_id: id, webhook_id: webhookId, tenant_id: tenantId, alert_id: alert.alert_id };
    const started = new Date().toISOString();
    const base: Delivery = (await options.deliveries.get(id)) ?? {
      id,
      webhook_id: webhookId,
      tenant_id: tenantId,
      alert_id: alert.alert_id,
      alert_type: alert.type,
      severity: alert.severity,
      status: 'pending',
      attempts: 0,
      last_error: null,
      response_status: null,
      created_at: started,
      updated_at: started,
      delivered_at: null,
    };
    const save = (patch: Partial<Delivery>) =>
      options.deliveries.record({ ...base, ...patch, updated_at: new Date().toISOString() });
    const suppress = async (why: string): Promise<DeliveryOutcome> => {
      await save({ status: 'suppressed', last_error: why });
      metrics.deliveries.inc({ result: 'suppressed' });
      log.info({ ...context, why }, 'delivery suppressed');
      return 'suppressed';
    };

    const status = await options.statuses.get(alert.alert_id);
    if (status && status.status !== 'open') return suppress(`the alert was ${status.status} by ${status.actor}`);
    const webhook = await options.webhooks.get(webhookId);
    if (!webhook) return suppress('the destination was deleted');
    // The router already applied the tenant rule; checked again so that no job, however it got into
    // the queue, sends one tenant's alert to another tenant's destination.
    if (!receivesAlertsOf(webhook, alert.tenant_id))
      return suppress("the destination does not take this tenant's alerts");

    const limit = await options.limiter.limit(`notifier:${webhookId}`, { limit: options.ratePerMinute, window_s: 60 });
    if (!limit.allowed) {
      metrics.deliveries.inc({ result: 'rate_limited' });
      await job.moveToDelayed(Date.now() + Math.max(50, Math.ceil((limit.retryAfterSeconds ?? 1) * 1000)), token);
      throw new DelayedError();
    }

    const attempts = job.attemptsMade + 1;
    const last = attempts >= (job.opts.attempts ?? 1);
    const fail = async (error: string, responseStatus: number | null, final: boolean): Promise<never> => {
      await save({
        status: final ? 'failed' : 'pending',
        attempts,
        last_error: error,
        response_status: responseStatus,
      });
      metrics.deliveries.inc({ result: final ? 'dead_letter' : 'retry' });
      log.warn(
        { ...context, attempts, error, dead_letter: final },
        final ? 'delivery failed for good: dead letter' : 'delivery failed; will retry',
      );
      throw final && !last ? new UnrecoverableError(error) : new Error(error);
    };

    // Again at delivery: the host's DNS may point elsewhere since the destination was configured.
    const check = await checkDestinationUrl(webhook.url, { allowPrivate: options.allowPrivate });
    if (!check.ok) return fail(`${check.reason}: ${check.message}`, null, check.reason !== 'unresolvable' || last);

    const secrets = await options.webhooks.signingSecrets(webhookId);
    if (secrets.length === 0) return suppress('the destination has no valid secret');
    const body = JSON.stringify(webhook.kind === 'slack' ? slackMessage(alert) : alert);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Keywatch-Notifier/1',
      [SIGNATURE_HEADER.toLowerCase()]: signPayload(secrets, body),
      'keywatch-delivery-id': id,
    };
    const timer = metrics.requestSeconds.startTimer();
    const result: PostResult = await postPinned({
      url: check.url,
      address: check.address,
      body,
      headers,
      timeoutMs: options.timeoutMs,
    });
    timer();
    if (!result.ok) return fail(result.error, result.status, last);
    const at = new Date();
    await save({
      status: 'delivered',
      attempts,
      last_error: null,
      response_status: result.status,
      delivered_at: at.toISOString(),
    });
    metrics.deliveries.inc({ result: 'delivered' });
    const detected = Date.parse(String(alert.detected_at));
    if (Number.isFinite(detected)) metrics.alertToDeliverySeconds.observe(Math.max(0, at.getTime() - detected) / 1000);
    log.info({ ...context, attempts, status: result.status, origin: check.url.origin }, 'delivered');
    return 'delivered';
  }

  const worker = new Worker<DeliveryJobData, DeliveryOutcome>(options.queueName, process, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    autorun: false,
  });
  worker.on('error', (error) => log.error({ err: error }, 'worker error'));
  return worker;
}
