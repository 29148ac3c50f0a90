import type { AuthEvent } from '@keywatch/contracts';
import type { RowWriter } from './row-pool.js';

/** One row of the `auth_events` table (0001_auth_events.sql), before enrichment. */
export interface AuthEventRow {
  v: number;
  event_id: string;
  ts: string;
  ts_ms: number;
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
  status: number;
  latency_ms: number;
  ip: string;
  user_agent: string;
  origin: string;
  rate_limit_limit: number | null;
  rate_limit_remaining: number | null;
  rate_limit_window_s: number | null;
}

/** The enrichment columns of auth_events_ingest (0002_auth_events_ingest.sql): geography of `ip` and the user-agent class. */
export interface Enrichment {
  country: string;
  region: string;
  city: string;
  lat: number | null;
  lon: number | null;
  /** geoip-lite's accuracy radius in km. */
  area: number | null;
  ua_class: string;
}

/** A row as the worker inserts it. */
export type EnrichedRow = AuthEventRow & Enrichment;

/**
 * A row ready for the insert: its JSONEachRow line as UTF-8 bytes, plus the two fields the dedup
 * step reads. The worker keeps rows in this form between preparation and insert, the bytes in a
 * {@link RowWriter}'s chunks outside the JavaScript heap (see row-pool.ts); nothing is serialised
 * twice.
 */
export interface EncodedRow {
  event_id: string;
  /** `YYYY-MM-DD hh:mm:ss` (UTC), as in the row. */
  ts: string;
  /** The row as one line of JSONEachRow, UTF-8, newline included. */
  bytes: Uint8Array;
}

/** Serialises a row for the insert, into `writer`'s chunks when given (else bytes of its own). */
export function encodeRow(row: EnrichedRow, writer?: RowWriter): EncodedRow {
  const line = JSON.stringify(row);
  return { event_id: row.event_id, ts: row.ts, bytes: writer ? writer.write(line) : Buffer.from(`${line}\n`) };
}

/** The largest value of the UInt32 rate-limit columns; the contract itself sets no upper bound. */
export const MAX_UINT32 = 4_294_967_295;

/**
 * The enriched row of a validated event in one allocation (the hot path; {@link toRow} plus the
 * enrichment gives the same row).
 */
export function toEnrichedRow(event: AuthEvent, geo: Omit<Enrichment, 'ua_class'>, uaClass: string): EnrichedRow {
  const ts = event.ts;
  const limit = event.rate_limit;
  return {
    v: event.v,
    event_id: event.event_id,
    ts: `${ts.slice(0, 10)} ${ts.slice(11, 19)}`,
    ts_ms: Number(ts.slice(20, 23)),
    gateway_id: event.gateway_id,
    request_id: event.request_id,
    tenant_id: event.tenant_id ?? '',
    key_id: event.key_id ?? '',
    key_type: event.key_type ?? '',
    environment: event.environment ?? '',
    key_fingerprint: event.key_fingerprint ?? '',
    outcome: event.outcome,
    scope: event.scope ?? '',
    method: event.method,
    route: event.route,
    status: event.status,
    latency_ms: event.latency_ms,
    ip: event.ip,
    user_agent: event.user_agent ?? '',
    origin: event.origin ?? '',
    rate_limit_limit: limit ? limit.limit : null,
    rate_limit_remaining: limit ? limit.remaining : null,
    rate_limit_window_s: limit ? limit.window_s : null,
    country: geo.country,
    region: geo.region,
    city: geo.city,
    lat: geo.lat,
    lon: geo.lon,
    area: geo.area,
    ua_class: uaClass,
  };
}

/**
 * Maps a validated event to a row. ClickHouse 18.16 has no DateTime64, so the event time is stored
 * as DateTime (seconds, UTC) plus its milliseconds; absent strings become '' so they can sit in
 * ORDER BY keys (18.16 refuses Nullable there).
 */
export function toRow(event: AuthEvent): AuthEventRow {
  const ts = event.ts; // YYYY-MM-DDTHH:mm:ss.sssZ, checked by the contract
  return {
    v: event.v,
    event_id: event.event_id,
    ts: `${ts.slice(0, 10)} ${ts.slice(11, 19)}`,
    ts_ms: Number(ts.slice(20, 23)),
    gateway_id: event.gateway_id,
    request_id: event.request_id,
    tenant_id: event.tenant_id ?? '',
    key_id: event.key_id ?? '',
    key_type: event.key_type ?? '',
    environment: event.environment ?? '',
    key_fingerprint: event.key_fingerprint ?? '',
    outcome: event.outcome,
    scope: event.scope ?? '',
    method: event.method,
    route: event.route,
    status: event.status,
    latency_ms: event.latency_ms,
    ip: event.ip,
    user_agent: event.user_agent ?? '',
    origin: event.origin ?? '',
    rate_limit_limit: event.rate_limit?.limit ?? null,
    rate_limit_remaining: event.rate_limit?.remaining ?? null,
    rate_limit_window_s: event.rate_limit?.window_s ?? null,
  };
}
