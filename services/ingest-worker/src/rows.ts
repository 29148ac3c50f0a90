import { RowBinaryWriter, stringWorstBytes } from '@keywatch/clickhouse';
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

/** The insert formats of the worker: `RowBinary` (default, cheaper for the server) or `JSONEachRow`. */
export type InsertFormat = 'RowBinary' | 'JSONEachRow';

/** Serialises a row for the insert as a JSONEachRow line, into `writer`'s chunks when given (else bytes of its own). */
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

/**
 * The columns of auth_events_ingest in the order {@link encodeRowBinary} writes them; the insert
 * names them, so the table's own column order does not matter.
 */
export const ROW_BINARY_COLUMNS = [
  'v',
  'event_id',
  'ts',
  'ts_ms',
  'gateway_id',
  'request_id',
  'tenant_id',
  'key_id',
  'key_type',
  'environment',
  'key_fingerprint',
  'outcome',
  'scope',
  'method',
  'route',
  'status',
  'latency_ms',
  'ip',
  'user_agent',
  'origin',
  'rate_limit_limit',
  'rate_limit_remaining',
  'rate_limit_window_s',
  'country',
  'region',
  'city',
  'lat',
  'lon',
  'area',
  'ua_class',
] as const satisfies ReadonlyArray<keyof EnrichedRow>;

// v, ts, ts_ms, status, latency_ms, three Nullable(UInt32), two Nullable(Float32), Nullable(UInt16).
const FIXED_BYTES = 1 + 4 + 2 + 2 + 8 + 3 * 5 + 2 * 5 + 3;

/** Most bytes {@link encodeRowBinary} writes for `row`. */
function worstBytes(row: EnrichedRow): number {
  return (
    FIXED_BYTES +
    stringWorstBytes(row.event_id.length) +
    stringWorstBytes(row.gateway_id.length) +
    stringWorstBytes(row.request_id.length) +
    stringWorstBytes(row.tenant_id.length) +
    stringWorstBytes(row.key_id.length) +
    stringWorstBytes(row.key_type.length) +
    stringWorstBytes(row.environment.length) +
    stringWorstBytes(row.key_fingerprint.length) +
    stringWorstBytes(row.outcome.length) +
    stringWorstBytes(row.scope.length) +
    stringWorstBytes(row.method.length) +
    stringWorstBytes(row.route.length) +
    stringWorstBytes(row.ip.length) +
    stringWorstBytes(row.user_agent.length) +
    stringWorstBytes(row.origin.length) +
    stringWorstBytes(row.country.length) +
    stringWorstBytes(row.region.length) +
    stringWorstBytes(row.city.length) +
    stringWorstBytes(row.ua_class.length)
  );
}

function writeRowBinary(w: RowBinaryWriter, row: EnrichedRow, tsMs: number): void {
  w.uint8('v', row.v);
  w.string('event_id', row.event_id);
  w.dateTime('ts', tsMs);
  w.uint16('ts_ms', row.ts_ms);
  w.string('gateway_id', row.gateway_id);
  w.string('request_id', row.request_id);
  w.string('tenant_id', row.tenant_id);
  w.string('key_id', row.key_id);
  w.string('key_type', row.key_type);
  w.string('environment', row.environment);
  w.string('key_fingerprint', row.key_fingerprint);
  w.string('outcome', row.outcome);
  w.string('scope', row.scope);
  w.string('method', row.method);
  w.string('route', row.route);
  w.uint16('status', row.status);
  w.float64(row.latency_ms);
  w.string('ip', row.ip);
  w.string('user_agent', row.user_agent);
  w.string('origin', row.origin);
  if (w.present(row.rate_limit_limit)) w.uint32('rate_limit.limit', row.rate_limit_limit!);
  if (w.present(row.rate_limit_remaining)) w.uint32('rate_limit.remaining', row.rate_limit_remaining!);
  if (w.present(row.rate_limit_window_s)) w.uint32('rate_limit.window_s', row.rate_limit_window_s!);
  w.string('country', row.country);
  w.string('region', row.region);
  w.string('city', row.city);
  if (w.present(row.lat)) w.float32(row.lat!);
  if (w.present(row.lon)) w.float32(row.lon!);
  if (w.present(row.area)) w.uint16('area', row.area!);
  w.string('ua_class', row.ua_class);
}

/**
 * Serialises a row for the insert as RowBinary ({@link ROW_BINARY_COLUMNS}), into `writer`'s
 * chunks when given. `tsMs` is the event time in epoch ms (`row.ts` with its milliseconds). Throws
 * a `RowBinaryValueError` naming the field for a value the columns cannot hold exactly (a lone
 * surrogate in a string, an integer out of range): the caller dead-letters the event.
 */
export function encodeRowBinary(row: EnrichedRow, tsMs: number, writer?: RowWriter): EncodedRow {
  const worst = worstBytes(row);
  let bytes: Uint8Array;
  if (writer) {
    bytes = writer.writeWith(worst, (w) => writeRowBinary(w, row, tsMs));
  } else {
    const w = new RowBinaryWriter(Buffer.allocUnsafe(worst));
    writeRowBinary(w, row, tsMs);
    bytes = w.buffer.subarray(0, w.offset);
  }
  return { event_id: row.event_id, ts: row.ts, bytes };
}
