import { identifier, join, sql, type ClickHouse } from '@keywatch/clickhouse';
import type { EnrichedRow } from './rows.js';

/**
 * Where rows become durable, minus what is already there. The ClickHouse implementation is
 * {@link createDedupStore}; unit tests use an in-memory one.
 */
export interface EventStore {
  /** Which of `ids` (events with `ts` within `[from, to]`) are stored already. */
  existing(ids: readonly string[], from: string, to: string): Promise<Set<string>>;
  /** Inserts rows in one request; resolves once ClickHouse acknowledged them. */
  insert(rows: readonly EnrichedRow[]): Promise<void>;
}

/** What one {@link writeOnce} call did. */
export interface WriteResult {
  inserted: number;
  /** Copies dropped: repeated inside the batch, or already stored. */
  duplicates: number;
}

// 2 000 ids of at most 36 characters keep an inline IN list near 80 KB, under the 256 KiB default
// max_query_size of every server version.
const LOOKUP_CHUNK = 2_000;

/**
 * Effectively-once insert: drops events whose `event_id` repeats inside `rows` or is already
 * stored, then inserts the rest. Correct as long as no two writers insert the same event_id at the
 * same time; the worker guarantees that because an event always travels in the same Kafka
 * partition (its message key) and a partition has one owner at a time, which finishes or abandons
 * its insert before it lets the partition go (see consumer.ts).
 */
export async function writeOnce(store: EventStore, rows: readonly EnrichedRow[]): Promise<WriteResult> {
  const unique = new Map<string, EnrichedRow>();
  let from = '';
  let to = '';
  for (const row of rows) {
    if (unique.has(row.event_id)) continue;
    unique.set(row.event_id, row);
    // `YYYY-MM-DD hh:mm:ss` sorts as text.
    if (from === '' || row.ts < from) from = row.ts;
    if (row.ts > to) to = row.ts;
  }
  if (unique.size === 0) return { inserted: 0, duplicates: rows.length };
  const ids = [...unique.keys()];
  const lookups: Array<Promise<Set<string>>> = [];
  for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) lookups.push(store.existing(ids.slice(i, i + LOOKUP_CHUNK), from, to));
  for (const stored of await Promise.all(lookups)) for (const id of stored) unique.delete(id);
  const fresh = [...unique.values()];
  if (fresh.length > 0) await store.insert(fresh);
  return { inserted: fresh.length, duplicates: rows.length - fresh.length };
}

/** Tables of {@link createDedupStore}. */
export interface DedupTables {
  /** Default `auth_events_ingest` (a Null table whose views fill auth_events, the enrichment, the ids and the rollups). */
  events?: string;
  /** Default `auth_event_ids` (filled by a view on the insert table in the same INSERT). */
  ids?: string;
}

const toDate = (text: string) => new Date(`${text.replace(' ', 'T')}Z`);

/** The ClickHouse {@link EventStore}: lookups in `auth_event_ids`, inserts into `auth_events_ingest`. */
export function createDedupStore(clickhouse: ClickHouse, tables: DedupTables = {}): EventStore {
  const events = tables.events ?? 'auth_events_ingest';
  const idsTable = identifier(tables.ids ?? 'auth_event_ids');
  return {
    async existing(candidates, from, to) {
      const rows = await clickhouse.query<{ event_id: string }>(sql`
        SELECT DISTINCT event_id FROM ${idsTable}
        WHERE ts >= ${toDate(from)} AND ts <= ${toDate(to)} AND event_id IN (${join(candidates)})`);
      return new Set(rows.map((r) => r.event_id));
    },
    insert: (rows) => clickhouse.insert(events, rows),
  };
}
