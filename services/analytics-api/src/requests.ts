import { join, sql, type ClickHouse, type Sql } from '@keywatch/clickhouse';
import {
  isKeyId,
  mappedRange,
  Outcome,
  parseCidr,
  parseEventTime,
  type AuthEvent,
  type IpRange,
} from '@keywatch/contracts';
import { ApiError } from '@keywatch/http-api';
import { z } from 'zod';

/**
 * Request search (`GET /v1/requests`) over the raw `auth_events` table, newest first, with keyset
 * pagination on (ts, ts_ms, event_id). Every statement is bound to one tenant; values are bound
 * through `sql`, never spliced.
 */

const Time = z
  .string()
  .refine((text) => parseEventTime(text) !== null, 'must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z');

export const RequestsQuery = z.strictObject({
  key_id: z
    .string()
    .refine(isKeyId, 'must be a key id (key_ followed by 20+ url-safe characters)')
    .optional()
    .describe('requests made with this key'),
  ip: z
    .string()
    .max(64)
    .refine((text) => parseCidr(text) !== null, 'must be an IPv4 or IPv6 address or CIDR block, e.g. 203.0.113.0/24')
    .optional()
    .describe('client address, or a CIDR block (IPv4 or IPv6; IPv4-mapped IPv6 addresses match IPv4 blocks)'),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 alpha-2 country code, e.g. DE')
    .optional()
    .describe('ISO 3166 alpha-2 country of the client address'),
  outcome: Outcome.optional().describe('the gateway decision (docs/contracts.md#outcomes)'),
  status: z
    .string()
    .regex(/^[1-5]\d\d$/, 'must be an HTTP status from 100 to 599')
    .optional()
    .describe('HTTP status returned to the client'),
  route: z.string().min(1).max(200).optional().describe('route template, exact, e.g. /v1/customers/:id'),
  scope: z.string().min(1).max(100).optional().describe('the scope the route needed, exact'),
  from: Time.optional().describe('at or after, RFC 3339'),
  to: Time.optional().describe('before, RFC 3339'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be an integer from 1 to 1000')
    .refine((text) => Number(text) >= 1 && Number(text) <= 1000, 'must be an integer from 1 to 1000')
    .optional()
    .describe('1–1000, default 100'),
  cursor: z.string().max(300).optional().describe("the previous page's next_cursor"),
  tenant_id: z.string().min(1).max(200).optional().describe('root key only: the tenant to read'),
});
export type RequestsQuery = z.output<typeof RequestsQuery>;

/** An auth event as request search answers it: docs/contracts.md#auth-event plus `country` and `city`. */
export type RequestView = AuthEvent & { country: string | null; city: string | null };

/** Where a page ends: the last row's event time (ms) and event id. */
interface Position {
  ms: number;
  eventId: string;
}

const CURSOR_VERSION = 1;

/** Opaque to callers: base64url of `[version, ms, event_id]`. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, position.ms, position.eventId])).toString('base64url');
}

export function decodeCursor(text: string): Position {
  const bad = () => new ApiError(400, 'invalid_request', 'cursor is not a next_cursor of this API', 'cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== CURSOR_VERSION ||
    typeof parsed[1] !== 'number' ||
    !Number.isInteger(parsed[1]) ||
    parsed[1] < 0 ||
    parsed[1] >= 2 ** 32 * 1000 ||
    typeof parsed[2] !== 'string' ||
    !/^[A-Za-z0-9_-]{1,128}$/.test(parsed[2])
  )
    throw bad();
  return { ms: parsed[1], eventId: parsed[2] };
}

/** `ts`/`ts_ms` at or after (`>=`) or before (`<`) an instant in ms, cheap for the index (seconds first). */
function timeBound(ms: number, op: '>=' | '<'): Sql {
  const seconds = new Date(Math.floor(ms / 1000) * 1000);
  const milli = ms % 1000;
  return op === '>='
    ? sql`ts >= ${seconds} AND (ts > ${seconds} OR ts_ms >= ${milli})`
    : sql`ts <= ${seconds} AND (ts < ${seconds} OR ts_ms < ${milli})`;
}

/**
 * The stored address text inside `range`. 18.16 has no IPv4/IPv6 types nor CIDR functions, so
 * addresses are compared as numbers: IPv4 text through IPv4StringToNum, IPv6 text as the hex of
 * IPv6StringToNum (fixed width, so text order is numeric order). Current servers throw on the
 * other family's text and compute a repeated function once, ahead of `and`'s short circuit, so
 * each function is given its own family's text or a harmless constant.
 */
export function ipCondition(range: IpRange): Sql {
  const hex = (n: bigint) => n.toString(16).toUpperCase().padStart(32, '0');
  const v6 = mappedRange(range);
  const v6Num = sql`hex(IPv6StringToNum(if(position(ip, ':') > 0, ip, '::')))`;
  const v4Num = sql`IPv4StringToNum(if(position(ip, ':') = 0, ip, '0.0.0.0'))`;
  const v6Part = sql`(position(ip, ':') > 0 AND ${v6Num} >= ${hex(v6.first)} AND ${v6Num} <= ${hex(v6.last)})`;
  if (range.family === 6) return v6Part;
  return sql`((position(ip, ':') = 0 AND ${v4Num} >= ${Number(range.first)} AND ${v4Num} <= ${Number(range.last)}) OR ${v6Part})`;
}

// ClickHouse's JSON may quote integers, so numeric columns are read through Number().
type Num = number | string;

interface Row {
  v: number;
  event_id: string;
  t: Num;
  ts_ms: Num;
  gateway_id: string;
  request_id: string;
  tenant_id: string;
  key_id: string;
  key_type: string;
  environment: string;
  key_fingerprint: string;
  outcome: string;
  scope: string;
  method: string;
  route: string;
  status: Num;
  latency_ms: Num;
  ip: string;
  user_agent: string;
  origin: string;
  rate_limit_limit: Num | null;
  rate_limit_remaining: Num | null;
  rate_limit_window_s: Num | null;
}

const orNull = (text: string) => (text === '' ? null : text);

function toView(row: Row, geo: { country: string; city: string } | undefined): RequestView {
  const ms = Number(row.t) * 1000 + Number(row.ts_ms);
  return {
    v: 1,
    event_id: row.event_id,
    ts: new Date(ms).toISOString(),
    gateway_id: row.gateway_id,
    request_id: row.request_id,
    tenant_id: orNull(row.tenant_id),
    key_id: orNull(row.key_id),
    key_type: orNull(row.key_type),
    environment: orNull(row.environment),
    key_fingerprint: orNull(row.key_fingerprint),
    outcome: row.outcome,
    scope: orNull(row.scope),
    method: row.method,
    route: row.route,
    status: Number(row.status),
    latency_ms: Number(row.latency_ms),
    ip: row.ip,
    user_agent: orNull(row.user_agent),
    origin: orNull(row.origin),
    rate_limit:
      row.rate_limit_limit === null || row.rate_limit_remaining === null || row.rate_limit_window_s === null
        ? null
        : {
            limit: Number(row.rate_limit_limit),
            remaining: Number(row.rate_limit_remaining),
            window_s: Number(row.rate_limit_window_s),
          },
    country: geo?.country ? geo.country : null,
    city: geo?.city ? geo.city : null,
  } as RequestView;
}

const and = (parts: Sql[]) => parts.reduce((acc, part) => sql`${acc} AND ${part}`);

/**
 * One page of the tenant's requests matching `query`, newest first, read in time windows from the
 * newest back (5 min, then each four times wider) until the page is full or nothing older is left. A window's `ts` bounds go in
 * PREWHERE, so only the `ts` column is read outside it, and the wide columns, the sort and a country
 * filter's `event_id IN (enrichment)` set are about a page's worth rather than every match. Then
 * country and city of the page's rows come from `auth_events_enrichment`, by event id.
 */
export async function searchRequests(
  ch: ClickHouse,
  tenantId: string,
  query: RequestsQuery,
  now = Date.now(),
): Promise<{ requests: RequestView[]; next_cursor: string | null }> {
  const limit = Number(query.limit ?? 100);
  const from = query.from !== undefined ? parseEventTime(query.from)!.getTime() : undefined;
  const to = query.to !== undefined ? parseEventTime(query.to)!.getTime() : undefined;
  if (from !== undefined && to !== undefined && from >= to)
    throw new ApiError(400, 'invalid_request', 'from must be before to', 'from');
  for (const [field, ms] of [
    ['from', from],
    ['to', to],
  ] as const)
    if (ms !== undefined && (ms < 0 || ms >= 2 ** 32 * 1000))
      throw new ApiError(400, 'invalid_request', 'must lie between 1970 and 2106', field);
  const cursor = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;

  // Conditions the events and the enrichment table share (both keyed by tenant, key, ts; the
  // enrichment has whole seconds only, so its bounds are the seconds around the range).
  const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  const common: Sql[] = [sql`tenant_id = ${tenantId}`];
  if (query.key_id !== undefined) common.push(sql`key_id = ${query.key_id}`);
  if (from !== undefined) common.push(sql`ts >= ${second(from)}`);
  if (to !== undefined) common.push(sql`ts <= ${second(to)}`);
  if (cursor) common.push(sql`ts <= ${second(cursor.ms)}`);

  const where: Sql[] = [...common];
  if (from !== undefined) where.push(timeBound(from, '>='));
  if (to !== undefined) where.push(timeBound(to, '<'));
  if (cursor) {
    const seconds = new Date(Math.floor(cursor.ms / 1000) * 1000);
    const milli = cursor.ms % 1000;
    where.push(sql`(ts < ${seconds} OR ts_ms < ${milli} OR (ts_ms = ${milli} AND event_id < ${cursor.eventId}))`);
  }
  if (query.ip !== undefined) where.push(ipCondition(parseCidr(query.ip)!));
  if (query.outcome !== undefined) where.push(sql`outcome = ${query.outcome}`);
  if (query.status !== undefined) where.push(sql`status = ${Number(query.status)}`);
  if (query.route !== undefined) where.push(sql`route = ${query.route}`);
  if (query.scope !== undefined) where.push(sql`scope = ${query.scope}`);
  const country = query.country?.toUpperCase();

  // Windows run from the newest possible time back: `to`, the cursor, or (by default) a day past
  // now, so events stamped by a gateway with a fast clock are still found.
  let top = Math.ceil(
    Math.min(to ?? Number.POSITIVE_INFINITY, cursor ? cursor.ms + 1000 : Number.POSITIVE_INFINITY, now + DAY_MS) / 1000,
  );
  const floor = from === undefined ? 0 : Math.floor(from / 1000);
  // By default the first window reaches from 5 minutes ago to that day ahead (empty future costs nothing).
  let width = to === undefined && !cursor ? top - Math.floor(now / 1000) + FIRST_WINDOW_S : FIRST_WINDOW_S;
  const rows: Row[] = [];
  const wanted = limit + 1 + DUPLICATE_SLACK;
  while (rows.length < wanted && top > floor) {
    const bottom = Math.max(floor, top - width);
    const window = sql`ts >= ${new Date(bottom * 1000)} AND ts < ${new Date(top * 1000)}`;
    const byCountry =
      country === undefined
        ? sql`1`
        : sql`event_id IN (SELECT event_id FROM auth_events_enrichment WHERE ${and(common)} AND ${window} AND country = ${country})`;
    const found = await ch.query<Row>(sql`
        SELECT v, event_id, toUnixTimestamp(ts) AS t, ts_ms, gateway_id, request_id, tenant_id, key_id, key_type, environment,
               key_fingerprint, outcome, scope, method, route, status, latency_ms, ip, user_agent, origin,
               rate_limit_limit, rate_limit_remaining, rate_limit_window_s
        FROM auth_events
        PREWHERE ${window}
        WHERE ${and(where)} AND ${byCountry}
        ORDER BY ts DESC, ts_ms DESC, event_id DESC
        LIMIT ${wanted - rows.length}`);
    rows.push(...found);
    top = bottom;
    width = found.length === 0 ? FIRST_WINDOW_S : width * 4;
    // An empty window: jump to the newest older event (none: done), so a gap in the traffic does not
    // grow the next window over a dense stretch.
    if (found.length === 0 && top > floor) {
      const [older] = await ch.query<{ t: string }>(sql`
        SELECT toUnixTimestamp(max(ts)) AS t FROM auth_events
        PREWHERE ts < ${new Date(top * 1000)} AND ts >= ${new Date(floor * 1000)}
        WHERE ${and(common)}`);
      // max() over no rows is 0 (1970), which no stored event has.
      if (!older || Number(older.t) === 0) break;
      top = Number(older.t) + 1;
    }
  }

  // Copies of one event (a ReplacingMergeTree before its merge) show once.
  const seen = new Set<string>();
  const unique = rows.filter((row) => !seen.has(row.event_id) && seen.add(row.event_id));
  const page = unique.slice(0, limit);
  const more = unique.length > limit;
  const geo = await enrichmentOf(ch, tenantId, page);
  const requests = page.map((row) => toView(row, geo.get(row.event_id)));
  const last = page[page.length - 1];
  return {
    requests,
    next_cursor:
      more && last ? encodeCursor({ ms: Number(last.t) * 1000 + Number(last.ts_ms), eventId: last.event_id }) : null,
  };
}

/** Extra rows read past the page so that a few not-yet-merged copies do not shorten it. */
const DUPLICATE_SLACK = 8;
/** The newest window's width; each next one is four times wider. */
const FIRST_WINDOW_S = 300;
const DAY_MS = 86_400_000;

async function enrichmentOf(
  ch: ClickHouse,
  tenantId: string,
  rows: readonly Row[],
): Promise<Map<string, { country: string; city: string }>> {
  if (rows.length === 0) return new Map();
  const times = rows.map((r) => Number(r.t));
  const keys = [...new Set(rows.map((r) => r.key_id))];
  const found = await ch.query<{ event_id: string; country: string; city: string }>(sql`
    SELECT event_id, any(country) AS country, any(city) AS city
    FROM auth_events_enrichment
    WHERE tenant_id = ${tenantId} AND key_id IN (${join(keys)})
      AND ts >= ${new Date(Math.min(...times) * 1000)} AND ts <= ${new Date(Math.max(...times) * 1000)}
      AND event_id IN (${join(rows.map((r) => r.event_id))})
    GROUP BY event_id`);
  return new Map(found.map((r) => [r.event_id, { country: r.country, city: r.city }]));
}
