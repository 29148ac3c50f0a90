import { sql, identifier, type ClickHouse } from '@keywatch/clickhouse';
import type { Logger } from '@keywatch/logger';

/** Days each table keeps (whole days; partitions are dropped once entirely older). */
export interface RetentionPolicy {
  rawDays: number;
  minuteDays: number;
  hourDays: number;
  dayDays: number;
}

/** The tables the job prunes, with the partition key each one has (see the migrations). */
export function retentionTargets(
  policy: RetentionPolicy,
): Array<{ table: string; days: number; partition: 'day' | 'month' }> {
  return [
    // The dedup index lives exactly as long as the raw events: the worker refuses events older than that.
    { table: 'auth_events', days: policy.rawDays, partition: 'day' },
    { table: 'auth_event_ids', days: policy.rawDays, partition: 'day' },
    { table: 'auth_events_enrichment', days: policy.rawDays, partition: 'day' },
    { table: 'auth_rollup_1m', days: policy.minuteDays, partition: 'day' },
    { table: 'auth_rollup_1h', days: policy.hourDays, partition: 'month' },
    { table: 'auth_rollup_1d', days: policy.dayDays, partition: 'month' },
  ];
}

const DAY_MS = 86_400_000;

/**
 * The partitions (their `YYYYMMDD` or `YYYYMM` value) whose every day is older than `days` full
 * days before `now`, with one day of margin: the worker accepts events up to `rawDays` old, so
 * the day it may still write into is never dropped under it.
 */
export function expiredPartitions(
  partitions: readonly string[],
  kind: 'day' | 'month',
  days: number,
  now: Date,
): string[] {
  const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (days + 1) * DAY_MS);
  return partitions.filter((p) => {
    if (kind === 'day' && /^\d{8}$/.test(p)) {
      const dayStart = Date.UTC(Number(p.slice(0, 4)), Number(p.slice(4, 6)) - 1, Number(p.slice(6, 8)));
      return dayStart < cutoff.getTime();
    }
    if (kind === 'month' && /^\d{6}$/.test(p)) {
      const nextMonth = Date.UTC(Number(p.slice(0, 4)), Number(p.slice(4, 6)), 1);
      return nextMonth <= cutoff.getTime();
    }
    return false;
  });
}

/**
 * Drops expired partitions. On 18.16 (no TTL) this is what enforces retention; on 19.6+ the TTL of
 * migration 0007 does it for the default durations and this job enforces shorter configured ones.
 * `ALTER TABLE … DROP PARTITION` is cheap (it unlinks whole parts) and idempotent.
 */
export async function applyRetention(
  clickhouse: ClickHouse,
  policy: RetentionPolicy,
  logger: Logger,
  now = new Date(),
): Promise<Array<{ table: string; partition: string }>> {
  const dropped: Array<{ table: string; partition: string }> = [];
  for (const target of retentionTargets(policy)) {
    const rows = await clickhouse.query<{ partition: string }>(sql`
      SELECT DISTINCT partition FROM system.parts
      WHERE database = ${clickhouse.database} AND table = ${target.table} AND active`);
    for (const partition of expiredPartitions(
      rows.map((r) => r.partition),
      target.partition,
      target.days,
      now,
    )) {
      // Digits only (expiredPartitions checked), bound as the number the partition key is.
      await clickhouse.command(sql`ALTER TABLE ${identifier(target.table)} DROP PARTITION ${Number(partition)}`);
      dropped.push({ table: target.table, partition });
      logger.info({ table: target.table, partition }, 'retention: partition dropped');
    }
  }
  return dropped;
}
