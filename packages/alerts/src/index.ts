import type { Redis } from 'ioredis';

/**
 * The people's side of an alert: open until someone acknowledges or resolves it through the
 * analytics API. This module is the Redis hot copy the workers read (`alert-status:<alert_id>`
 * under the deployment's base prefix); ClickHouse `alert_status` is the record (README).
 */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'dismissed' | 'confirmed';

/** `dismissed`: a false positive or expected behaviour; `confirmed`: a real compromise (the key is revoked by policy). */
export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved', 'dismissed', 'confirmed'];

export interface AlertStatusRecord {
  alertId: string;
  tenantId: string | null;
  status: AlertStatus;
  /** Who changed it: the caller's key id (or `root`), as in the audit log. */
  actor: string;
  note: string;
  /** Wall-clock ms of the change. */
  updatedAt: number;
}

export interface AlertStatusStore {
  /** The alert's status record, or null while nobody has touched it (open). */
  get(alertId: string): Promise<AlertStatusRecord | null>;
  /** Several at once, in the order given (one round trip). */
  getMany(alertIds: readonly string[]): Promise<Array<AlertStatusRecord | null>>;
  set(record: AlertStatusRecord): Promise<void>;
}

export interface AlertStatusStoreOptions {
  redis: Redis;
  /** How long a status is kept after its last change (default 90 days, the alert feed's horizon). */
  ttlSeconds?: number;
}

const statusKey = (alertId: string) => `alert-status:${alertId}`;

const isStatus = (value: string | undefined): value is AlertStatus =>
  value !== undefined && (ALERT_STATUSES as readonly string[]).includes(value);

function fromHash(alertId: string, hash: Record<string, string>): AlertStatusRecord | null {
  if (!isStatus(hash.status)) return null;
  return {
    alertId,
    tenantId: hash.tenant_id ? hash.tenant_id : null,
    status: hash.status,
    actor: hash.actor ?? '',
    note: hash.note ?? '',
    updatedAt: Number(hash.updated_at ?? 0),
  };
}

export function createAlertStatusStore(options: AlertStatusStoreOptions): AlertStatusStore {
  const { redis } = options;
  const ttl = options.ttlSeconds ?? 90 * 24 * 3600;
  return {
    async get(alertId) {
      return fromHash(alertId, await redis.hgetall(statusKey(alertId)));
    },
    async getMany(alertIds) {
      if (alertIds.length === 0) return [];
      // One command per alert, all sent at once (not a pipeline): on a Redis Cluster the statuses
      // live in different slots, which one pipeline may not span.
      const hashes = await Promise.all(alertIds.map((id) => redis.hgetall(statusKey(id))));
      return alertIds.map((id, i) => fromHash(id, hashes[i] ?? {}));
    },
    async set(record) {
      const key = statusKey(record.alertId);
      await redis
        .multi()
        .hset(key, {
          status: record.status,
          tenant_id: record.tenantId ?? '',
          actor: record.actor,
          note: record.note,
          updated_at: String(record.updatedAt),
        })
        .expire(key, ttl)
        .exec();
    },
  };
}

export { createFeedbackStore, type FeedbackStore, type Suppression, type TrustedNetworks } from './feedback.js';
export { alertRow, alertRowVersion, type AlertRow } from './rows.js';
