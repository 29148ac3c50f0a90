import type { AlertStatus, AlertStatusRecord, AlertStatusStore } from '@keywatch/alerts';
import { formatDateTime, sql, type ClickHouse, type Sql } from '@keywatch/clickhouse';
import { AlertType, isKeyId, parseEventTime, Severity } from '@keywatch/contracts';
import { ApiError } from '@keywatch/http-api';
import type { AuditLog } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import { z } from 'zod';
import type { Caller } from './auth.js';

/**
 * The alert feed and its lifecycle (`/v1/alerts`): `security_alerts` joined with `alert_status`,
 * tenant-scoped by the caller. Ack and resolve write the Redis hot copy first, then ClickHouse, then
 * the audit stream; a call that failed part-way is completed by repeating it (see `transition`).
 */

const AlertStatusEnum = z.enum(['open', 'acknowledged', 'resolved', 'dismissed', 'confirmed']);
const Time = z
  .string()
  .refine((text) => parseEventTime(text) !== null, 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');

export const AlertsQuery = z.strictObject({
  status: AlertStatusEnum.optional().describe('open, acknowledged, resolved, dismissed or confirmed'),
  type: AlertType.optional().describe('one alert type of docs/contracts.md#alert-types'),
  severity: Severity.optional().describe('low, medium, high or critical (exact)'),
  key_id: z
    .string()
    .refine(isKeyId, 'must be a key id (key_ followed by 20+ url-safe characters)')
    .optional()
    .describe('alerts about this key'),
  from: Time.optional().describe('detected at or after, RFC 3339'),
  to: Time.optional().describe('detected before, RFC 3339'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer from 1 to 1000')
    .refine((text) => Number(text) >= 1 && Number(text) <= 1000, 'must be an integer from 1 to 1000')
    .optional()
    .describe('1–1000, default 100'),
  tenant_id: z.string().min(1).max(200).optional().describe('root key only: one tenant (default: every tenant)'),
});

export const AlertIdParam = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be an alert id (letters, digits, _ and -)'),
});

export const AlertNoteBody = z
  .strictObject({
    note: z
      .string()
      .max(2000, 'must be at most 2000 characters')
      .optional()
      .describe('why (kept with the status and in the audit)'),
  })
  .optional();

/** An alert as the feed answers it: docs/contracts.md#alert plus count, updated_at and the status fields. */
export interface AlertView {
  v: 1;
  alert_id: string;
  type: string;
  severity: string;
  tenant_id: string | null;
  key_id: string | null;
  ip: string | null;
  window_start: string;
  window_end: string;
  detected_at: string;
  summary: string;
  evidence: Record<string, unknown>;
  dedup_key: string;
  action: string;
  count: number;
  updated_at: string;
  status: AlertStatus;
  status_actor: string | null;
  status_updated_at: string | null;
}

interface AlertRow {
  alert_id: string;
  tenant_id: string;
  a_type: string;
  a_severity: string;
  a_key_id: string;
  a_ip: string;
  a_window_start: string;
  a_window_end: string;
  a_detected_at: string;
  a_updated_at: string;
  a_summary: string;
  a_evidence: string;
  a_dedup_key: string;
  a_action: string;
  a_count: string;
  s_status: string;
  s_actor: string;
  s_updated_at: string;
}

interface Filter {
  tenantId?: string;
  alertId?: string;
  status?: AlertStatus;
  type?: string;
  severity?: string;
  keyId?: string;
  from?: number;
  to?: number;
  limit: number;
}

const iso = (unixSeconds: string | number) => new Date(Number(unixSeconds) * 1000).toISOString();
const orNull = (text: string) => (text === '' ? null : text);
const isStatus = (text: string): text is AlertStatus => (AlertStatusEnum.options as readonly string[]).includes(text);

function evidenceOf(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function toView(row: AlertRow): AlertView {
  return {
    v: 1,
    alert_id: row.alert_id,
    type: row.a_type,
    severity: row.a_severity,
    tenant_id: orNull(row.tenant_id),
    key_id: orNull(row.a_key_id),
    ip: orNull(row.a_ip),
    window_start: iso(row.a_window_start),
    window_end: iso(row.a_window_end),
    detected_at: iso(row.a_detected_at),
    summary: row.a_summary,
    evidence: evidenceOf(row.a_evidence),
    dedup_key: row.a_dedup_key,
    action: row.a_action,
    count: Number(row.a_count),
    updated_at: iso(row.a_updated_at),
    status: isStatus(row.s_status) ? row.s_status : 'open',
    status_actor: orNull(row.s_actor),
    status_updated_at: Number(row.s_updated_at) > 0 ? iso(row.s_updated_at) : null,
  };
}

/** The hot copy wins over ClickHouse: it is written first, so it is never older. */
function withHotStatus(view: AlertView, hot: AlertStatusRecord | null): AlertView {
  if (!hot) return view;
  return {
    ...view,
    status: hot.status,
    status_actor: hot.actor || null,
    status_updated_at: new Date(hot.updatedAt).toISOString(),
  };
}

/**
 * One statement for the feed, on 18.16 and current servers: the latest version of each alert
 * (argMax by version; aliases are prefixed so they never shadow the columns the WHERE reads), then
 * its latest status. Alerts whose type, tenant and key never change are filtered before grouping.
 */
function feedQuery(f: Filter): Sql {
  const where: Sql[] = [sql`1`];
  const statusWhere: Sql[] = [sql`1`];
  if (f.tenantId !== undefined) {
    where.push(sql`tenant_id = ${f.tenantId}`);
    statusWhere.push(sql`tenant_id = ${f.tenantId}`);
  }
  if (f.alertId !== undefined) {
    where.push(sql`alert_id = ${f.alertId}`);
    statusWhere.push(sql`alert_id = ${f.alertId}`);
  }
  if (f.type !== undefined) where.push(sql`type = ${f.type}`);
  if (f.keyId !== undefined) where.push(sql`key_id = ${f.keyId}`);
  const having: Sql[] = [sql`1`];
  if (f.severity !== undefined) having.push(sql`a_severity = ${f.severity}`);
  if (f.from !== undefined) having.push(sql`a_detected_at >= ${Math.floor(f.from / 1000)}`);
  if (f.to !== undefined) having.push(sql`a_detected_at < ${Math.ceil(f.to / 1000)}`);
  const outer: Sql[] = [sql`1`];
  if (f.status !== undefined) outer.push(sql`if(s_status = '', 'open', s_status) = ${f.status}`);
  const and = (parts: Sql[]) => parts.reduce((acc, part) => sql`${acc} AND ${part}`);
  return sql`
    SELECT alert_id, tenant_id, a_type, a_severity, a_key_id, a_ip, a_window_start, a_window_end, a_detected_at, a_updated_at,
           a_summary, a_evidence, a_dedup_key, a_action, a_count, s_status, s_actor, s_updated_at
    FROM
    (
      SELECT alert_id, tenant_id,
             argMax(type, version) AS a_type, argMax(severity, version) AS a_severity,
             argMax(key_id, version) AS a_key_id, argMax(ip, version) AS a_ip,
             toUnixTimestamp(min(window_start)) AS a_window_start, toUnixTimestamp(max(window_end)) AS a_window_end,
             toUnixTimestamp(min(detected_at)) AS a_detected_at, toUnixTimestamp(max(updated_at)) AS a_updated_at,
             argMax(summary, version) AS a_summary, argMax(evidence, version) AS a_evidence,
             argMax(dedup_key, version) AS a_dedup_key, argMax(action, version) AS a_action, max(count) AS a_count
      FROM security_alerts
      WHERE ${and(where)}
      GROUP BY tenant_id, alert_id
      HAVING ${and(having)}
    ) AS alerts
    ANY LEFT JOIN
    (
      SELECT tenant_id, alert_id, argMax(status, version) AS s_status, argMax(actor, version) AS s_actor,
             toUnixTimestamp(argMax(updated_at, version)) AS s_updated_at
      FROM alert_status
      WHERE ${and(statusWhere)}
      GROUP BY tenant_id, alert_id
    ) AS statuses USING (tenant_id, alert_id)
    WHERE ${and(outer)}
    ORDER BY a_detected_at DESC, alert_id
    LIMIT ${f.limit}`;
}

export interface AlertFeedDependencies {
  clickhouse: ClickHouse;
  statuses: AlertStatusStore;
  /** The tenant's audit stream. */
  store: Pick<AuditLog, 'recordAudit'>;
  logger: Logger;
  now?: () => number;
}

/** Who did it, as `status_actor` shows it: the caller's key id, or `root`. */
const statusActor = (caller: Caller) => (caller.kind === 'root' ? 'root' : caller.keyId);

export type AlertAction = 'ack' | 'resolve';

const AUDIT_ACTION: Readonly<Record<AlertStatus, string>> = {
  open: 'alert_reopened',
  acknowledged: 'alert_acknowledged',
  resolved: 'alert_resolved',
  dismissed: 'alert_dismissed',
  confirmed: 'alert_confirmed',
};

/** Where each status may go by dismiss and confirm (ack and resolve keep their own rule). */
const FEEDBACK_FROM: Readonly<Record<'dismissed' | 'confirmed', readonly AlertStatus[]>> = {
  dismissed: ['open', 'acknowledged'],
  confirmed: ['open', 'acknowledged', 'resolved', 'dismissed'],
};

export function createAlertFeed(deps: AlertFeedDependencies) {
  const now = deps.now ?? Date.now;
  let sequence = 0;

  /** The tenant filter of a caller: its own tenant; the root key sees every tenant unless it names one. */
  function tenantFilter(caller: Caller, requested: string | undefined): string | undefined {
    if (caller.kind === 'root') return requested;
    if (requested !== undefined && requested !== caller.tenantId)
      throw new ApiError(403, 'forbidden', 'a key reads its own tenant only', 'tenant_id');
    return caller.tenantId;
  }

  /** The feed's alerts with the hot copy's status, plus ClickHouse's own status and the hot record. */
  async function readAll(
    filter: Filter,
  ): Promise<Array<{ view: AlertView; stored: AlertStatus; hot: AlertStatusRecord | null }>> {
    const rows = await deps.clickhouse.query<AlertRow>(feedQuery(filter));
    const views = rows.map(toView);
    const hot = await deps.statuses.getMany(views.map((v) => v.alert_id));
    return views.map((view, i) => ({
      view: withHotStatus(view, hot[i] ?? null),
      stored: view.status,
      hot: hot[i] ?? null,
    }));
  }

  const read = async (filter: Filter) => (await readAll(filter)).map((entry) => entry.view);

  async function oneEntry(caller: Caller, alertId: string) {
    // Another tenant's alert answers 404, exactly like an absent one, so ids are not confirmed.
    const [entry] = await readAll({ tenantId: tenantFilter(caller, undefined), alertId, limit: 1 });
    if (!entry) throw new ApiError(404, 'not_found', 'alert not found');
    return entry;
  }

  const one = async (caller: Caller, alertId: string) => (await oneEntry(caller, alertId)).view;

  /** The ClickHouse status version and the audit entry of a change already in the hot copy. */
  async function record(
    alert: AlertView,
    from: AlertStatus,
    change: AlertStatusRecord,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    await deps.clickhouse.insert('alert_status', [
      {
        alert_id: change.alertId,
        tenant_id: alert.tenant_id ?? '',
        status: change.status,
        actor: change.actor,
        note: change.note,
        updated_at: formatDateTime(new Date(change.updatedAt)),
        version: change.updatedAt * 1000 + (sequence++ % 1000),
      },
    ]);
    if (alert.tenant_id !== null) {
      await deps.store.recordAudit(
        {
          tenant_id: alert.tenant_id,
          key_id: alert.key_id,
          actor: change.actor === 'root' ? 'root' : `key:${change.actor}`,
          action: AUDIT_ACTION[change.status],
          reason: change.note === '' ? null : change.note,
          details: {
            alert_id: change.alertId,
            type: alert.type,
            severity: alert.severity,
            from,
            to: change.status,
            ...extra,
          },
        },
        new Date(change.updatedAt),
      );
    }
  }

  return {
    async list(caller: Caller, query: z.output<typeof AlertsQuery>): Promise<AlertView[]> {
      const from = query.from !== undefined ? parseEventTime(query.from)!.getTime() : undefined;
      const to = query.to !== undefined ? parseEventTime(query.to)!.getTime() : undefined;
      if (from !== undefined && to !== undefined && from >= to)
        throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
      const views = await read({
        tenantId: tenantFilter(caller, query.tenant_id),
        status: query.status,
        type: query.type,
        severity: query.severity,
        keyId: query.key_id,
        from,
        to,
        limit: Number(query.limit ?? 100),
      });
      // The SQL filtered on ClickHouse's status; a newer hot copy may disagree (its ClickHouse write failed).
      return query.status === undefined ? views : views.filter((v) => v.status === query.status);
    },

    get: one,

    /**
     * Acknowledge or resolve. Resolving a resolved alert and acknowledging an acknowledged one
     * change nothing (200); acknowledging a resolved alert is a 409 (`invalid_transition`).
     */
    async transition(
      caller: Caller,
      alertId: string,
      action: AlertAction,
      note: string | undefined,
    ): Promise<AlertView> {
      const { view: alert, stored, hot } = await oneEntry(caller, alertId);
      const target: AlertStatus = action === 'ack' ? 'acknowledged' : 'resolved';
      if (action === 'ack' && alert.status !== 'open' && alert.status !== 'acknowledged')
        throw new ApiError(
          409,
          'invalid_transition',
          `a ${alert.status} alert cannot be acknowledged; a repeat of the problem raises a new alert`,
        );
      if (alert.status === target) {
        // An earlier call wrote the hot copy but failed before ClickHouse: repeating it completes that change.
        if (hot && stored !== target) await record(alert, stored, hot);
        return alert;
      }
      const change: AlertStatusRecord = {
        alertId,
        tenantId: alert.tenant_id,
        status: target,
        actor: statusActor(caller),
        note: note ?? '',
        updatedAt: now(),
      };
      // Redis first: a worker reading the hot copy never sees an older status than the feed.
      await deps.statuses.set(change);
      await record(alert, alert.status, change);
      deps.logger.info(
        { alert_id: alertId, tenant_id: alert.tenant_id, actor: change.actor, from: alert.status, to: target },
        'alert status changed',
      );
      return {
        ...alert,
        status: target,
        status_actor: change.actor,
        status_updated_at: new Date(change.updatedAt).toISOString(),
      };
    },

    /**
     * Dismiss or confirm. `check` runs on the alert before anything is written (it may refuse);
     * `extra` goes into the audit entry's details. Repeating the same call changes nothing and
     * reports `changed: false` (so the caller does not create a second rule or trigger).
     */
    async feedback(
      caller: Caller,
      alertId: string,
      target: 'dismissed' | 'confirmed',
      note: string | undefined,
      check: (alert: AlertView) => void,
      extra: Record<string, unknown> = {},
    ): Promise<{ alert: AlertView; changed: boolean }> {
      const { view: alert, stored, hot } = await oneEntry(caller, alertId);
      if (alert.status === target) {
        if (hot && stored !== target) await record(alert, stored, hot, extra);
        return { alert, changed: false };
      }
      if (!FEEDBACK_FROM[target].includes(alert.status))
        throw new ApiError(409, 'invalid_transition', `a ${alert.status} alert cannot be ${target}`);
      check(alert);
      const change: AlertStatusRecord = {
        alertId,
        tenantId: alert.tenant_id,
        status: target,
        actor: statusActor(caller),
        note: note ?? '',
        updatedAt: now(),
      };
      await deps.statuses.set(change);
      await record(alert, alert.status, change, extra);
      deps.logger.info(
        { alert_id: alertId, tenant_id: alert.tenant_id, actor: change.actor, from: alert.status, to: target },
        'alert status changed',
      );
      return {
        alert: {
          ...alert,
          status: target,
          status_actor: change.actor,
          status_updated_at: new Date(change.updatedAt).toISOString(),
        },
        changed: true,
      };
    },
  };
}

export type AlertFeed = ReturnType<typeof createAlertFeed>;
