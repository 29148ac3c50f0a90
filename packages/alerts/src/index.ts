import type { Redis } from 'ioredis';

/**
 * The people's side of an alert (docs/contracts.md#alert has no status field): open until someone
 * acknowledges or resolves it through `POST /v1/alerts/:id/ack|resolve` on the analytics API.
 *
 * Two stores, two readers:
 * - ClickHouse `alert_status` (migration 0010) is the record the alert feed joins and the audit of
 *   who did what; the analytics API writes it.
 * - Redis (this module) is the hot copy the workers read per alert: the notifier skips delivering
 *   an acknowledged or resolved alert's repeats, and the detector raises a new alert (new
 *   `alert_id`) when a resolved problem comes back. The analytics API writes Redis first, then
 *   ClickHouse, so a worker never misses a status the feed already shows.
 *
 * Keys: `alert-status:<alert_id>` (a hash) under the client's key prefix, which must be the
 * deployment's base prefix (`keywatch:` by default) in every service that shares it. One key per
 * alert, single-key commands only, so it works unchanged on Redis Cluster.
 */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved'];

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
      const pipeline = redis.pipeline();
      for (const id of alertIds) pipeline.hgetall(statusKey(id));
      const results = (await pipeline.exec()) ?? [];
      return alertIds.map((id, i) => {
        const [error, hash] = results[i] ?? [null, {}];
        if (error) throw error;
        return fromHash(id, hash as Record<string, string>);
      });
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
