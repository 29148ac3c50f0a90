import { identifier, join, sql, type ClickHouse, type Sql } from '@keywatch/clickhouse';
import { GRANULARITY_MS, ROLLUP_TABLE, type Range, type Segment } from './params.js';

/**
 * The analytics queries. Every one reads the rollups (0006_auth_rollups.sql), never the raw
 * table: the ingest worker inserts each event_id once, so the rollups are exact, and their
 * partial aggregates are merged here with countMerge / quantilesTDigestMerge. Every statement is
 * bound to one tenant; per-key statements also to one key.
 */

const at = (ms: number) => new Date(ms);
const rate = (errors: number, requests: number) =>
  requests === 0 ? 0 : Math.round((errors / requests) * 10_000) / 10_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** `key_id = …` or nothing (top keys read every key of the tenant). */
function scopeOf(tenantId: string, keyId: string | undefined): Sql {
  return keyId === undefined
    ? sql`tenant_id = ${tenantId} AND key_id != ''`
    : sql`tenant_id = ${tenantId} AND key_id = ${keyId}`;
}

/**
 * `SELECT <dims>, countMerge(requests) AS n FROM <rollup> WHERE … GROUP BY <dims>` for every
 * segment, glued with UNION ALL: the caller sums `n` over its own grouping.
 */
function segmentsQuery(segments: readonly Segment[], where: Sql, dims: readonly string[]): Sql {
  const columns = join(dims.map((d) => identifier(d)));
  const parts = segments.map(
    (s) => sql`SELECT ${columns}, countMerge(requests) AS n FROM ${identifier(ROLLUP_TABLE[s.granularity])}
      WHERE ${where} AND bucket >= ${at(s.from)} AND bucket < ${at(s.to)} GROUP BY ${columns}`,
  );
  return join(parts, sql` UNION ALL `);
}

export interface UsagePoint {
  ts: string;
  requests: number;
  errors: number;
  error_rate: number;
  rate_limited: number;
  p50_latency_ms: number | null;
  p95_latency_ms: number | null;
}

/** One point per bucket of `range` (empty buckets included, with zeros). */
export async function usageSeries(
  ch: ClickHouse,
  tenantId: string,
  keyId: string,
  range: Range,
): Promise<UsagePoint[]> {
  const rows = await ch.query<{
    t: string;
    requests: string;
    errors: string;
    rate_limited: string;
    q: [number, number];
  }>(sql`
    SELECT toUnixTimestamp(bucket) AS t, sum(n) AS requests, sumIf(n, status >= 400) AS errors,
           sumIf(n, outcome = 'rate_limited') AS rate_limited, quantilesTDigestMerge(0.5, 0.95)(lat) AS q
    FROM (
      SELECT bucket, outcome, status, countMerge(requests) AS n, quantilesTDigestMergeState(0.5, 0.95)(latency) AS lat
      FROM ${identifier(ROLLUP_TABLE[range.granularity])}
      WHERE ${scopeOf(tenantId, keyId)} AND bucket >= ${at(range.from)} AND bucket < ${at(range.to)}
      GROUP BY bucket, outcome, status
    )
    GROUP BY bucket ORDER BY bucket`);
  const byTime = new Map(rows.map((r) => [Number(r.t) * 1000, r]));
  const points: UsagePoint[] = [];
  const round = (x: number | undefined) =>
    x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000;
  for (let t = range.from; t < range.to; t += GRANULARITY_MS[range.granularity]) {
    const row = byTime.get(t);
    const requests = Number(row?.requests ?? 0);
    const errors = Number(row?.errors ?? 0);
    points.push({
      ts: iso(t),
      requests,
      errors,
      error_rate: rate(errors, requests),
      rate_limited: Number(row?.rate_limited ?? 0),
      p50_latency_ms: requests === 0 ? null : round(row?.q[0]),
      p95_latency_ms: requests === 0 ? null : round(row?.q[1]),
    });
  }
  return points;
}

/** Totals by outcome and by status (with its class) over the segments. */
export async function errorBreakdown(ch: ClickHouse, tenantId: string, keyId: string, segments: readonly Segment[]) {
  const rows = await ch.query<{ outcome: string; status: number; n: string }>(sql`
    SELECT outcome, status, sum(n) AS n FROM (${segmentsQuery(segments, scopeOf(tenantId, keyId), ['outcome', 'status'])})
    GROUP BY outcome, status ORDER BY outcome, status`);
  const byOutcome = new Map<string, number>();
  const byStatus = new Map<number, number>();
  let requests = 0;
  let errors = 0;
  let rateLimited = 0;
  for (const r of rows) {
    const n = Number(r.n);
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-conversion -- ClickHouse JSON may quote integers
    const status = Number(r.status);
    requests += n;
    if (status >= 400) errors += n;
    if (r.outcome === 'rate_limited') rateLimited += n;
    byOutcome.set(r.outcome, (byOutcome.get(r.outcome) ?? 0) + n);
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
  }
  const byClass = new Map<string, number>();
  for (const [status, n] of byStatus)
    byClass.set(`${Math.floor(status / 100)}xx`, (byClass.get(`${Math.floor(status / 100)}xx`) ?? 0) + n);
  const sorted = <K>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    requests,
    errors,
    error_rate: rate(errors, requests),
    rate_limited: rateLimited,
    by_outcome: sorted(byOutcome).map(([outcome, n]) => ({ outcome, requests: n, share: rate(n, requests) })),
    by_status: sorted(byStatus).map(([status, n]) => ({ status, class: `${Math.floor(status / 100)}xx`, requests: n })),
    by_status_class: sorted(byClass).map(([statusClass, n]) => ({ class: statusClass, requests: n })),
  };
}

/** Requests and errors by country, and by city inside each country ('' country or city = unknown → null). */
export async function geoBreakdown(ch: ClickHouse, tenantId: string, keyId: string, segments: readonly Segment[]) {
  const rows = await ch.query<{ country: string; region: string; city: string; requests: string; errors: string }>(sql`
    SELECT country, region, city, sum(n) AS requests, sumIf(n, status >= 400) AS errors
    FROM (${segmentsQuery(segments, scopeOf(tenantId, keyId), ['country', 'region', 'city', 'status'])})
    GROUP BY country, region, city ORDER BY requests DESC, country, region, city`);
  const countries = new Map<
    string,
    {
      country: string | null;
      requests: number;
      errors: number;
      cities: Array<{ region: string | null; city: string | null; requests: number; errors: number }>;
    }
  >();
  for (const r of rows) {
    const entry = countries.get(r.country) ?? { country: r.country || null, requests: 0, errors: 0, cities: [] };
    entry.requests += Number(r.requests);
    entry.errors += Number(r.errors);
    entry.cities.push({
      region: r.region || null,
      city: r.city || null,
      requests: Number(r.requests),
      errors: Number(r.errors),
    });
    countries.set(r.country, entry);
  }
  return { countries: [...countries.values()].sort((a, b) => b.requests - a.requests) };
}

/** Requests and errors by scope (the feature used) and by method and route. */
export async function featureBreakdown(ch: ClickHouse, tenantId: string, keyId: string, segments: readonly Segment[]) {
  const rows = await ch.query<{ scope: string; method: string; route: string; requests: string; errors: string }>(sql`
    SELECT scope, method, route, sum(n) AS requests, sumIf(n, status >= 400) AS errors
    FROM (${segmentsQuery(segments, scopeOf(tenantId, keyId), ['scope', 'method', 'route', 'status'])})
    GROUP BY scope, method, route ORDER BY requests DESC, scope, method, route`);
  const scopes = new Map<string, { scope: string | null; requests: number; errors: number }>();
  const routes = rows.map((r) => {
    const requests = Number(r.requests);
    const errors = Number(r.errors);
    const entry = scopes.get(r.scope) ?? { scope: r.scope || null, requests: 0, errors: 0 };
    entry.requests += requests;
    entry.errors += errors;
    scopes.set(r.scope, entry);
    return {
      scope: r.scope || null,
      method: r.method,
      route: r.route,
      requests,
      errors,
      error_rate: rate(errors, requests),
    };
  });
  return {
    by_scope: [...scopes.values()]
      .sort((a, b) => b.requests - a.requests)
      .map((s) => ({ ...s, error_rate: rate(s.errors, s.requests) })),
    by_route: routes,
  };
}

/** The tenant's keys ranked by requests, errors or error rate (ties by key id). */
export async function topKeys(
  ch: ClickHouse,
  tenantId: string,
  segments: readonly Segment[],
  sort: 'requests' | 'errors' | 'error_rate',
  limit: number,
) {
  const order = {
    requests: sql`requests DESC`,
    errors: sql`errors DESC, requests DESC`,
    error_rate: sql`error_rate DESC, requests DESC`,
  }[sort];
  const rows = await ch.query<{ key_id: string; requests: string; errors: string; rate_limited: string }>(sql`
    SELECT key_id, sum(n) AS requests, sumIf(n, status >= 400) AS errors, sumIf(n, outcome = 'rate_limited') AS rate_limited,
           if(requests = 0, 0, errors / requests) AS error_rate
    FROM (${segmentsQuery(segments, scopeOf(tenantId, undefined), ['key_id', 'outcome', 'status'])})
    GROUP BY key_id ORDER BY ${order}, key_id LIMIT ${limit}`);
  return rows.map((r) => {
    const requests = Number(r.requests);
    const errors = Number(r.errors);
    return {
      key_id: r.key_id,
      requests,
      errors,
      error_rate: rate(errors, requests),
      rate_limited: Number(r.rate_limited),
    };
  });
}
