import { createHash } from 'node:crypto';
import { Job, Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Severity } from './store.js';

/** The BullMQ queue the notifier's consumer fills and its worker drains. */
export const DELIVERY_QUEUE = 'webhook-deliveries';
/**
 * BullMQ key prefix (default): hash-tagged, so every key of the queue lands in one Redis Cluster
 * slot, which BullMQ's multi-key scripts need.
 */
export const DEFAULT_QUEUE_PREFIX = '{keywatch:notifier}';

/** The alert fields the notifier needs (the job carries the whole alert, docs/contracts.md#alert). */
export interface AlertPayload {
  alert_id: string;
  type: string;
  severity: Severity;
  tenant_id: string | null;
  [field: string]: unknown;
}

/** One delivery: this alert (at this severity) to this destination. */
export interface DeliveryJobData {
  delivery_id: string;
  webhook_id: string;
  /** The alert's tenant (null for a tenantless alert; a platform destination receives both). */
  tenant_id: string | null;
  alert: AlertPayload;
}

/**
 * The delivery (and BullMQ job) id of (alert, destination, severity): the same alert consumed
 * twice maps to the same job, which BullMQ adds only once. The severity is part of it on purpose:
 * the detector republishes an alert only when its severity rises, and that escalation is news worth
 * one more notification (unless the alert was acknowledged or resolved meanwhile).
 */
export function deliveryId(alertId: string, webhookId: string, severity: string): string {
  return `dlv_${createHash('sha256').update(`${alertId}\n${webhookId}\n${severity}`).digest('hex').slice(0, 32)}`;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'suppressed';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed', 'suppressed'];

/**
 * What happened to one delivery, as `GET /v1/webhooks/:id/deliveries` shows it. `pending` covers
 * queued and retrying (then `last_error` says why the last attempt failed); `failed` is the dead
 * letter (all attempts used, or a refusal no retry can fix) and can be replayed; `suppressed` was
 * not sent on purpose (`last_error` says why: alert acknowledged/resolved, destination deleted).
 */
export interface Delivery {
  id: string;
  webhook_id: string;
  /** The alert's tenant; null for an alert without one (delivered to platform destinations only). */
  tenant_id: string | null;
  alert_id: string;
  alert_type: string;
  severity: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

/**
 * Deliveries in Redis under `{wh}` (same client prefix as the destinations):
 * `{wh}:delivery:<id>` (JSON, expires after `retentionDays`) and one zset per destination and
 * status, `{wh}:deliveries:<webhook>:<status>`, scored by the last change (ms).
 */
export interface DeliveryLog {
  /** Writes the delivery and moves it to its status's index. */
  record(delivery: Delivery): Promise<void>;
  get(id: string): Promise<Delivery | null>;
  /** Newest change first. */
  list(webhookId: string, options?: { status?: DeliveryStatus; limit?: number }): Promise<Delivery[]>;
}

const deliveryKey = (id: string) => `{wh}:delivery:${id}`;
const indexKey = (webhookId: string, status: DeliveryStatus) => `{wh}:deliveries:${webhookId}:${status}`;

export function createDeliveryLog(options: { redis: Redis; retentionDays?: number }): DeliveryLog {
  const { redis } = options;
  const retentionMs = (options.retentionDays ?? 30) * 86_400_000;
  return {
    async record(delivery) {
      const score = Date.parse(delivery.updated_at);
      const tx = redis.multi().set(deliveryKey(delivery.id), JSON.stringify(delivery), 'PX', retentionMs);
      for (const status of DELIVERY_STATUSES) {
        const key = indexKey(delivery.webhook_id, status);
        if (status === delivery.status)
          tx.zadd(key, score, delivery.id)
            .zremrangebyscore(key, '-inf', score - retentionMs)
            .pexpire(key, retentionMs);
        else tx.zrem(key, delivery.id);
      }
      await tx.exec();
    },
    async get(id) {
      const text = await redis.get(deliveryKey(id));
      return text === null ? null : (JSON.parse(text) as Delivery);
    },
    async list(webhookId, { status, limit = 100 } = {}) {
      const statuses = status ? [status] : DELIVERY_STATUSES;
      const ids: Array<[string, number]> = [];
      for (const s of statuses) {
        const flat = await redis.zrevrange(indexKey(webhookId, s), 0, limit - 1, 'WITHSCORES');
        for (let i = 0; i + 1 < flat.length; i += 2) ids.push([flat[i]!, Number(flat[i + 1])]);
      }
      ids.sort((a, b) => b[1] - a[1]);
      const chosen = ids.slice(0, limit).map(([id]) => id);
      if (chosen.length === 0) return [];
      const texts = await redis.mget(chosen.map(deliveryKey));
      return texts.flatMap((text) => (text ? [JSON.parse(text) as Delivery] : []));
    },
  };
}

/** The delivery queue (a BullMQ queue of {@link DeliveryJobData}). */
export type DeliveryQueue = Queue<DeliveryJobData>;

/**
 * A handle on the delivery queue for callers that only add or replay (the key service). Its
 * connection must have no ioredis `keyPrefix`: BullMQ has its own `prefix`.
 */
export function openDeliveryQueue(options: { connection: ConnectionOptions; prefix?: string }): DeliveryQueue {
  return new Queue<DeliveryJobData>(DELIVERY_QUEUE, {
    connection: options.connection,
    prefix: options.prefix ?? DEFAULT_QUEUE_PREFIX,
  });
}

export type ReplayOutcome =
  { ok: true; delivery: Delivery } | { ok: false; reason: 'not_found' | 'not_failed'; message: string };

/**
 * Sends a dead-lettered delivery again: its BullMQ job goes back to waiting with its attempts reset
 * (so it gets the full retry schedule again), and the log says `pending`.
 */
export async function replayDelivery(options: {
  queue: DeliveryQueue;
  log: DeliveryLog;
  deliveryId: string;
  now?: Date;
}): Promise<ReplayOutcome> {
  const { queue, log } = options;
  const delivery = await log.get(options.deliveryId);
  if (!delivery) return { ok: false, reason: 'not_found', message: `no delivery ${options.deliveryId}` };
  const job = await Job.fromId<DeliveryJobData>(queue, delivery.id);
  if (!job)
    return {
      ok: false,
      reason: 'not_found',
      message: `the job of delivery ${delivery.id} is gone (older than the queue keeps failed jobs)`,
    };
  const state = await job.getState();
  if (state !== 'failed')
    return {
      ok: false,
      reason: 'not_failed',
      message: `delivery ${delivery.id} is ${state}, not failed; only dead letters are replayed`,
    };
  await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  const next: Delivery = { ...delivery, status: 'pending', updated_at: (options.now ?? new Date()).toISOString() };
  await log.record(next);
  return { ok: true, delivery: next };
}
