import { ClickHouseRequestError, identifier } from '@keywatch/clickhouse';
import { coalesce } from './row-pool.js';

/** Inserts rows encoded in advance (JSONEachRow lines or RowBinary rows) into a table; resolves once ClickHouse acknowledged them. */
export type LineInserter = (table: string, lines: readonly Uint8Array[]) => Promise<void>;

/** Which of `ids` (event ids, `ts` within `[from, to]`, `YYYY-MM-DD hh:mm:ss` UTC) a table of `(event_id, ts)` holds. */
export type IdLookup = (table: string, ids: readonly string[], from: string, to: string) => Promise<Set<string>>;

/** Where {@link createLineInserter} and {@link createIdLookup} send their requests. */
export interface LineInserterOptions {
  /** ClickHouse's HTTP interface, e.g. `http://127.0.0.1:8123`. */
  url: string;
  database: string;
  username?: string;
  password?: string;
  /** Per insert, ms. Default 30 000. */
  requestTimeoutMs?: number;
  /**
   * The rows' format. Default `JSONEachRow` (lines, each with its newline); `RowBinary` needs the
   * columns the rows hold, in their order.
   */
  format?: { name: 'JSONEachRow' } | { name: 'RowBinary'; columns: readonly string[] };
}

/**
 * Inserts of rows serialised in advance (JSONEachRow or RowBinary), streamed over ClickHouse's
 * HTTP interface (basic auth, which 18.16 accepts): the client library re-stringifies row objects,
 * which doubled the hot path's garbage. Failures are {@link ClickHouseRequestError}s that never
 * quote the rows.
 */
export function createLineInserter(options: LineInserterOptions): LineInserter {
  const authorization = basicAuth(options);
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const format = options.format ?? { name: 'JSONEachRow' };
  const columns =
    format.name === 'RowBinary' ? ` (${format.columns.map((c) => identifier(c).toString()).join(', ')})` : '';
  const contentType = format.name === 'RowBinary' ? 'application/octet-stream' : 'text/plain; charset=utf-8';
  return async (table, lines) => {
    if (lines.length === 0) return;
    const query = `INSERT INTO ${identifier(table).toString()}${columns} FORMAT ${format.name}`;
    const url = new URL(options.url);
    url.searchParams.set('database', options.database);
    url.searchParams.set('query', query);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization, 'content-type': contentType },
        body: ReadableStream.from(coalesce(lines)),
        duplex: 'half',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ClickHouseRequestError('insert', error, query);
    }
    const text = await response.text().catch((error: unknown) => {
      throw new ClickHouseRequestError('insert', error, query);
    });
    if (!response.ok)
      throw new ClickHouseRequestError('insert', new Error(text.trim() || `HTTP ${response.status}`), query);
  };
}

const basicAuth = (options: LineInserterOptions) =>
  `Basic ${Buffer.from(`${options.username ?? 'default'}:${options.password ?? ''}`).toString('base64')}`;
const DATE_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const EVENT_ID = /^[0-9A-Za-z-]+$/;

/**
 * The dedup lookup with the ids sent as an external table (HTTP multipart, since ClickHouse 1.1,
 * so 18.16 too): one request per batch, and the server reads a TabSeparated list instead of
 * parsing an `IN ('…', …)` literal per id, which cost it about as much as the insert itself.
 */
export function createIdLookup(options: LineInserterOptions): IdLookup {
  const authorization = basicAuth(options);
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  return async (table, ids, from, to) => {
    if (ids.length === 0) return new Set();
    // Only our own formatted times and contract-checked ids reach the text; anything else is a bug.
    if (!DATE_TIME.test(from) || !DATE_TIME.test(to)) throw new TypeError(`id lookup: bad time range ${from}…${to}`);
    if (!ids.every((id) => EVENT_ID.test(id))) throw new TypeError('id lookup: an event_id outside [0-9A-Za-z-]');
    const query = `SELECT DISTINCT event_id FROM ${identifier(table).toString()} WHERE ts >= toDateTime('${from}', 'UTC') AND ts <= toDateTime('${to}', 'UTC') AND event_id IN _ids FORMAT TabSeparated`;
    const url = new URL(options.url);
    url.searchParams.set('database', options.database);
    url.searchParams.set('query', query);
    url.searchParams.set('_ids_structure', 'event_id String');
    url.searchParams.set('_ids_format', 'TabSeparated');
    const form = new FormData();
    form.append('_ids', new Blob([`${ids.join('\n')}\n`], { type: 'text/tab-separated-values' }), '_ids.tsv');
    let text: string;
    let ok: boolean;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
      ok = response.ok;
    } catch (error) {
      throw new ClickHouseRequestError('query', error, query);
    }
    if (!ok) throw new ClickHouseRequestError('query', new Error(text.trim()), query);
    return new Set(text.split('\n').filter((line) => line !== ''));
  };
}
