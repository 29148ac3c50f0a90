import { join, sql, type ClickHouse } from '@keywatch/clickhouse';
import type { LastUse, LastUseLookup } from './intake.js';

/**
 * The last allowed request of each key, from `auth_events` (sorted by tenant, key, time, so this
 * reads only those keys' ranges). One query for the whole batch.
 */
export function clickhouseLastUse(clickhouse: Pick<ClickHouse, 'query'>): LastUseLookup {
  return async (keys) => {
    const out = new Map<string, LastUse>();
    if (keys.length === 0) return out;
    const tenants = [...new Set(keys.map((k) => k.tenant_id))];
    const ids = keys.map((k) => k.id);
    const rows = await clickhouse.query<{ key_id: string; last_ip: string; last_ts: string }>(sql`
      SELECT key_id, argMax(ip, ts) AS last_ip, toString(max(ts)) AS last_ts
      FROM auth_events
      WHERE tenant_id IN (${join(tenants)}) AND key_id IN (${join(ids)}) AND outcome = 'allowed'
      GROUP BY key_id`);
    for (const row of rows) out.set(row.key_id, { ip: row.last_ip, ts: `${row.last_ts.replace(' ', 'T')}Z` });
    return out;
  };
}
