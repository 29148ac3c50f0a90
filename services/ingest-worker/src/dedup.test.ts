import { ClickHouseRequestError } from '@keywatch/clickhouse';
import { describe, expect, it } from 'vitest';
import { blamesRows, writeOnce, type EventStore } from './dedup.js';

interface Row {
  event_id: string;
  ts: string;
}
const rows = (n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({ event_id: `e${i}`, ts: '2026-01-01 00:00:00' }));
const serverError = (code: number, message: string) =>
  new ClickHouseRequestError(
    'insert',
    new Error(`Code: ${code}, e.displayText() = DB::Exception: ${message}, e.what() = DB::Exception`),
  );

/** Refuses every insert holding one of `poison` (as ClickHouse refuses a whole insert over one row), or fails with `outage`. */
class Store implements EventStore<Row> {
  readonly inserts: number[] = [];
  readonly stored = new Set<string>();
  outage: Error | undefined;
  constructor(readonly poison: ReadonlySet<string> = new Set()) {}
  async existing(ids: readonly string[]) {
    return new Set(ids.filter((id) => this.stored.has(id)));
  }
  async insert(batch: readonly Row[]) {
    if (this.outage) throw this.outage;
    if (batch.some((r) => this.poison.has(r.event_id)))
      throw serverError(25, 'Cannot parse escape sequence: missing second part of surrogate pair');
    this.inserts.push(batch.length);
    for (const r of batch) this.stored.add(r.event_id);
  }
}

describe('writeOnce', () => {
  it('isolates the rows ClickHouse refuses and stores every other row of the batch', async () => {
    const store = new Store(new Set(['e3', 'e77', 'e78']));
    const result = await writeOnce(store, rows(100));
    expect(result.inserted).toBe(97);
    expect(result.refused.map((r) => r.row.event_id)).toEqual(['e3', 'e77', 'e78']);
    expect(result.refused[0]?.reason).toBe(
      'ClickHouse refused the row: Cannot parse escape sequence: missing second part of surrogate pair (code 25)',
    );
    expect(store.stored.size).toBe(97);
    expect(store.inserts.reduce((a, b) => a + b, 0)).toBe(97); // nothing inserted twice
  });

  it('never splits or blames rows for an outage or a server fault: the error is thrown for a retry', async () => {
    const store = new Store();
    store.outage = new ClickHouseRequestError('insert', new Error('connect ECONNREFUSED 127.0.0.1:8123'));
    await expect(writeOnce(store, rows(10))).rejects.toThrow(/ECONNREFUSED/);
    store.outage = serverError(60, "Table kw.auth_events_ingest doesn't exist.");
    await expect(writeOnce(store, rows(10))).rejects.toThrow(/doesn't exist/);
    expect(store.inserts).toEqual([]);
  });
});

describe('blamesRows', () => {
  it('blames the rows for parse and range errors and for too many partitions in one insert block', () => {
    expect(blamesRows(serverError(25, 'Cannot parse escape sequence'))).toBe(true);
    expect(blamesRows(serverError(27, 'Cannot parse input: expected , before: …'))).toBe(true);
    expect(
      blamesRows(
        new ClickHouseRequestError(
          'insert',
          new Error(
            'Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). (TOO_MANY_PARTS) (version 25.8.1.1)',
          ),
        ),
      ),
    ).toBe(true);
  });

  it('does not blame them for overload, outages or a broken schema', () => {
    expect(
      blamesRows(
        new ClickHouseRequestError(
          'insert',
          new Error(
            'Code: 252. DB::Exception: Too many parts (300). Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)',
          ),
        ),
      ),
    ).toBe(false);
    expect(blamesRows(new ClickHouseRequestError('insert', new Error('socket hang up')))).toBe(false);
    expect(blamesRows(serverError(60, 'Table does not exist'))).toBe(false);
    expect(blamesRows(new Error('anything'))).toBe(false);
    expect(blamesRows(undefined)).toBe(false);
  });
});
