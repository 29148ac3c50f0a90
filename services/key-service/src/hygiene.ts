import { toEventTime, type Alert, type AlertType, type Severity } from '@keywatch/contracts';
import { effectiveState, type AuditLog, type KeyRecord, type KeyRecords } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import type { Redis } from '@keywatch/redis';
import { alertIdFor, type AlertPath } from './alert-path.js';
import type { TenantSettings } from './settings.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
// A claimed item whose alert was never published (a crash) is free again after this.
const PENDING_TTL_S = 60;
// Raised items are remembered well past any horizon they could come back from.
const RAISED_TTL_S = 400 * 24 * 3600;
const BATCH = 10_000;

const raisedKey = (dedupKey: string) => `hygiene:raised:${dedupKey}`;

/** One hygiene finding before it becomes an alert. */
interface Item {
  type: Extract<AlertType, 'key_expiring' | 'rotation_grace_ending' | 'key_unused'>;
  severity: Severity;
  key: KeyRecord;
  dedupKey: string;
  summary: string;
  evidence: Record<string, unknown>;
}

export interface HygieneSweeper {
  start(): void;
  /** One evaluation at the clock's now; resolves with the alerts it raised. */
  sweepOnce(): Promise<Alert[]>;
  close(): Promise<void>;
}

const label = (key: KeyRecord) => `${key.prefix}…${key.last4} ("${key.name}")`;

/**
 * Key hygiene: `key_expiring` (7 days and 1 day before expires_at), `rotation_grace_ending` (an old
 * key used in the last hour of its grace period) and `key_unused` (a secret key idle for the
 * tenant's threshold). Every instance sweeps; each item is claimed in Redis before it is raised and
 * remembered after, so an item is raised once across instances and restarts, with an alert id
 * derived from the item, so even a crash between publishing and remembering repeats the same alert.
 */
export function createHygieneSweeper(deps: {
  store: Pick<KeyRecords, 'upcomingExpiries' | 'getById' | 'list'> & Pick<AuditLog, 'tenants' | 'recordAudit'>;
  redis: Redis;
  alerts: AlertPath;
  settings: Pick<TenantSettings, 'hygiene'>;
  logger: Logger;
  intervalMs: number;
  clock?: () => Date;
}): HygieneSweeper {
  const clock = deps.clock ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;

  async function findExpiring(now: Date): Promise<Item[]> {
    const ids = await deps.store.upcomingExpiries(now, new Date(now.getTime() + 7 * DAY), BATCH);
    const records = await Promise.all(ids.map((id) => deps.store.getById(id)));
    const items: Item[] = [];
    const settings = new Map<string, Awaited<ReturnType<TenantSettings['hygiene']>>>();
    for (const key of records) {
      if (!key?.expires_at) continue;
      const tenant = settings.get(key.tenant_id) ?? (await deps.settings.hygiene(key.tenant_id));
      settings.set(key.tenant_id, tenant);
      const expires = Date.parse(key.expires_at);
      const left = expires - now.getTime();
      const state = effectiveState(key, now);
      if (state === 'active' && tenant.key_expiring) {
        const horizon = left <= DAY ? '1d' : '7d';
        items.push({
          type: 'key_expiring',
          severity: 'low',
          key,
          dedupKey: `key_expiring:${key.id}:${horizon}:${key.expires_at}`,
          summary: `Key ${label(key)} expires in ${left <= DAY ? `${String(Math.max(1, Math.round(left / HOUR)))} h` : `${String(Math.round(left / DAY))} days`} (${key.expires_at}); rotate it before requests start failing.`,
          evidence: { expires_at: key.expires_at, horizon, hours_left: Math.round(left / HOUR) },
        });
      }
      if (state === 'rotating' && tenant.rotation_grace_ending && left <= HOUR && key.last_used_at) {
        // Traffic inside the last hour of the grace period, and after the rotation itself.
        const since = Math.max(expires - HOUR, Date.parse(key.updated_at));
        if (Date.parse(key.last_used_at) >= since)
          items.push({
            type: 'rotation_grace_ending',
            severity: 'medium',
            key,
            dedupKey: `rotation_grace_ending:${key.id}:${key.expires_at}`,
            summary: `Old key ${label(key)} is still in use and its rotation grace period ends at ${key.expires_at}; requests with it will then fail. Move its callers to the new key.`,
            evidence: {
              expires_at: key.expires_at,
              last_used_at: key.last_used_at,
              successor: key.rotated_to,
              minutes_left: Math.max(0, Math.round(left / 60_000)),
            },
          });
      }
    }
    return items;
  }

  async function findUnused(now: Date): Promise<Item[]> {
    const items: Item[] = [];
    for (const tenant of await deps.store.tenants()) {
      const { key_unused_days: days } = await deps.settings.hygiene(tenant);
      if (days <= 0) continue;
      for (const key of await deps.store.list(tenant)) {
        if (key.type !== 'secret' || effectiveState(key, now) !== 'active') continue;
        const since = key.last_used_at ?? key.created_at;
        const idle = now.getTime() - Date.parse(since);
        if (idle < days * DAY) continue;
        items.push({
          type: 'key_unused',
          severity: 'low',
          key,
          // Keyed by the last use: a key used again and then idle again is a new item.
          dedupKey: `key_unused:${key.id}:${since}`,
          summary: `Secret key ${label(key)} has had no successful request for ${String(Math.floor(idle / DAY))} days; deactivate it if nothing needs it.`,
          evidence: {
            last_used_at: key.last_used_at,
            created_at: key.created_at,
            idle_days: Math.floor(idle / DAY),
            threshold_days: days,
          },
        });
      }
    }
    return items;
  }

  function toAlert(item: Item, now: Date): Alert {
    const at = toEventTime(now);
    return {
      v: 1,
      alert_id: alertIdFor(item.dedupKey),
      type: item.type,
      severity: item.severity,
      tenant_id: item.key.tenant_id,
      key_id: item.key.id,
      ip: null,
      window_start: at,
      window_end: at,
      detected_at: at,
      summary: item.summary,
      evidence: item.evidence,
      dedup_key: item.dedupKey,
      action: 'none',
    };
  }

  async function sweepOnce(): Promise<Alert[]> {
    const now = clock();
    const items = [...(await findExpiring(now)), ...(await findUnused(now))];
    if (items.length === 0) return [];
    const claiming = deps.redis.pipeline();
    for (const item of items) claiming.set(raisedKey(item.dedupKey), 'pending', 'EX', PENDING_TTL_S, 'NX');
    const claimed = ((await claiming.exec()) ?? []).map(([, reply]) => reply === 'OK');
    const mine = items.filter((_, i) => claimed[i]);
    if (mine.length === 0) return [];
    const alerts = mine.map((item) => toAlert(item, now));
    try {
      await deps.alerts.publish(alerts);
    } catch (error) {
      const releasing = deps.redis.pipeline();
      for (const item of mine) releasing.del(raisedKey(item.dedupKey));
      await releasing.exec().catch(() => undefined);
      throw error;
    }
    const remembering = deps.redis.pipeline();
    for (const item of mine) remembering.set(raisedKey(item.dedupKey), toEventTime(now), 'EX', RAISED_TTL_S);
    await remembering.exec();
    await Promise.all(
      alerts.map((alert) =>
        deps.store.recordAudit(
          {
            tenant_id: alert.tenant_id ?? '',
            key_id: alert.key_id,
            actor: 'system:hygiene',
            action: 'hygiene_alert',
            reason: alert.summary,
            details: { alert_id: alert.alert_id, type: alert.type, dedup_key: alert.dedup_key },
          },
          now,
        ),
      ),
    );
    deps.logger.info(
      { alerts: alerts.map((a) => ({ alert_id: a.alert_id, type: a.type, key_id: a.key_id, tenant_id: a.tenant_id })) },
      'hygiene alerts raised',
    );
    return alerts;
  }

  return {
    sweepOnce,
    start() {
      timer = setInterval(() => {
        // A tick while a sweep is still running is skipped, not queued.
        sweeping ??= sweepOnce()
          .catch((error: unknown) => deps.logger.error({ err: error }, 'hygiene sweep failed'))
          .finally(() => (sweeping = undefined));
      }, deps.intervalMs);
    },
    async close() {
      clearInterval(timer);
      await sweeping;
    },
  };
}
