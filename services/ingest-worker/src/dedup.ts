import type { IdLookup, LineInserter } from './http-insert.js';
import type { EncodedRow } from './rows.js';

/** What the dedup step needs of a row: its id and its time (`YYYY-MM-DD hh:mm:ss`, UTC). */
export interface KeyedRow {
  event_id: string;
  ts: string;
}

/**
 * Where rows become durable, minus what is already there. The ClickHouse implementation is
 * {@link createDedupStore} (rows as {@link EncodedRow}); unit tests use in-memory ones.
 */
export interface EventStore<R extends KeyedRow = EncodedRow> {
  /** Which of `ids` (events with `ts` within `[from, to]`) are stored already. */
  existing(ids: readonly string[], from: string, to: string): Promise<Set<string>>;
  /** Most ids per {@link existing} call. Default 2 000. */
  readonly lookupChunk?: number;
  /** Inserts rows in one request; resolves once ClickHouse acknowledged them. */
  insert(rows: readonly R[]): Promise<void>;
}

/** A row ClickHouse refused on its own (see {@link blamesRows}), with the server's reason. */
export interface Refusal<R extends KeyedRow = EncodedRow> {
  row: R;
  reason: string;
}

/** What one {@link writeOnce} call did. */
export interface WriteResult<R extends KeyedRow = EncodedRow> {
  inserted: number;
  /** Copies dropped: repeated inside the batch, or already stored. */
  duplicates: number;
  /** Rows ClickHouse refused even alone; not stored, for the dead-letter topic. */
  refused: Array<Refusal<R>>;
}

// Server error codes that blame the data of an insert, not the server: text that does not parse
// (6, 25, 26, 27, 32, 38, 41, 72; 25 is what 18.16 answers for a contract-valid string holding a
// lone UTF-16 surrogate, "\ud800"), types and values out of range (53, 69, 70, 117, 131, 321,
// 407), a function that threw on a value (395, throwIf in a view).
const ROW_ERROR_CODES = new Set([6, 25, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 131, 321, 395, 407]);
// 252 is TOO_MANY_PARTS, which usually means "merges are behind, later" (retryable), but also
// names an insert block spanning more partitions than max_partitions_per_insert_block (19.x+).
const TOO_MANY_PARTITIONS = /partitions for (?:a )?single insert block/i;

/**
 * True when a failed insert was refused because of the rows it carried (so a smaller insert may
 * succeed and the culprits can be dead-lettered), false for outages and for faults of the server
 * or schema, which are retried and never blamed on events.
 */
export function blamesRows(error: unknown): boolean {
  const { serverCode, message } = (error ?? {}) as { serverCode?: unknown; message?: unknown };
  if (typeof serverCode !== 'number') return false;
  if (serverCode === 252) return typeof message === 'string' && TOO_MANY_PARTITIONS.test(message);
  return ROW_ERROR_CODES.has(serverCode);
}

const MAX_REASON = 500;

/**
 * Inserts `rows`; when ClickHouse blames the rows ({@link blamesRows}), inserts each half on its
 * own, down to single rows, so that only the rows it refuses alone are left out. Halves that
 * succeed are durable (and in the dedup index), so a retry after a later failure skips them.
 */
async function insertIsolating<R extends KeyedRow>(
  store: EventStore<R>,
  rows: readonly R[],
  refused: Array<Refusal<R>>,
): Promise<void> {
  try {
    await store.insert(rows);
  } catch (error) {
    if (!blamesRows(error)) throw error;
    if (rows.length === 1) {
      const text = (error instanceof Error ? error.message : String(error)).replace(/^ClickHouse insert failed: /, '');
      refused.push({ row: rows[0]!, reason: `ClickHouse refused the row: ${text.slice(0, MAX_REASON)}` });
      return;
    }
    const half = Math.ceil(rows.length / 2);
    await insertIsolating(store, rows.slice(0, half), refused);
    await insertIsolating(store, rows.slice(half), refused);
  }
}

// For stores that inline the ids in the query: 2 000 ids of at most 36 characters keep an IN list
// near 80 KB, under the 256 KiB default max_query_size of every server version.
const LOOKUP_CHUNK = 2_000;

/**
 * Effectively-once insert: drops events whose `event_id` repeats inside `rows` or is already
 * stored, then inserts the rest (isolating rows ClickHouse refuses, see {@link insertIsolating}).
 * Correct as long as no two writers insert the same event_id at the same time; the worker guarantees that because an event always travels in the same Kafka
 * partition (its message key) and a partition has one owner at a time, which finishes or abandons
 * its insert before it lets the partition go (see consumer.ts).
 */
export async function writeOnce<R extends KeyedRow>(store: EventStore<R>, rows: readonly R[]): Promise<WriteResult<R>> {
  const unique = new Map<string, R>();
  let from = '';
  let to = '';
  for (const row of rows) {
    if (unique.has(row.event_id)) continue;
    unique.set(row.event_id, row);
    // `YYYY-MM-DD hh:mm:ss` sorts as text.
    if (from === '' || row.ts < from) from = row.ts;
    if (row.ts > to) to = row.ts;
  }
  if (unique.size === 0) return { inserted: 0, duplicates: rows.length, refused: [] };
  const ids = [...unique.keys()];
  const lookups: Array<Promise<Set<string>>> = [];
  const chunk = store.lookupChunk ?? LOOKUP_CHUNK;
  for (let i = 0; i < ids.length; i += chunk) lookups.push(store.existing(ids.slice(i, i + chunk), from, to));
  for (const stored of await Promise.all(lookups)) for (const id of stored) unique.delete(id);
  const fresh = [...unique.values()];
  const refused: Array<Refusal<R>> = [];
  if (fresh.length > 0) await insertIsolating(store, fresh, refused);
  return { inserted: fresh.length - refused.length, duplicates: rows.length - fresh.length, refused };
}

/** Tables of {@link createDedupStore}. */
export interface DedupTables {
  /** Default `auth_events_ingest` (a Null table whose views fill auth_events, the enrichment, the ids and the rollups). */
  events?: string;
  /** Default `auth_event_ids` (filled by a view on the insert table in the same INSERT). */
  ids?: string;
}

/**
 * The ClickHouse {@link EventStore}: lookups in `auth_event_ids` with the batch's ids as an
 * external table, inserts of the rows' ready JSONEachRow bytes into `auth_events_ingest`.
 */
export function createDedupStore(
  http: { insertLines: LineInserter; lookupIds: IdLookup },
  tables: DedupTables = {},
): EventStore {
  const events = tables.events ?? 'auth_events_ingest';
  const ids = tables.ids ?? 'auth_event_ids';
  return {
    lookupChunk: 100_000,
    existing: (candidates, from, to) => http.lookupIds(ids, candidates, from, to),
    insert: (rows) =>
      http.insertLines(
        events,
        rows.map((r) => r.bytes),
      ),
  };
}
