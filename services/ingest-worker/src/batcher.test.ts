import { exampleAuthEvent } from '@keywatch/contracts';
import { createLogger } from '@keywatch/logger';
import { describe, expect, it } from 'vitest';
import { AbandonedError, createBatcher } from './batcher.js';
import type { EventStore } from './dedup.js';
import { toRow, type EnrichedRow } from './rows.js';

const logger = createLogger({ name: 'test', level: 'silent' });
const row = (): EnrichedRow => ({
  ...toRow(exampleAuthEvent()),
  country: '',
  region: '',
  city: '',
  lat: null,
  lon: null,
  area: null,
  ua_class: '',
});
const rows = (n: number) => Array.from({ length: n }, row);

class Store implements EventStore<EnrichedRow> {
  readonly inserts: number[] = [];
  readonly stored = new Set<string>();
  failures = 0;
  async existing(ids: readonly string[]) {
    return new Set(ids.filter((id) => this.stored.has(id)));
  }
  async insert(batch: readonly EnrichedRow[]) {
    if (this.failures > 0) {
      this.failures -= 1;
      throw Object.assign(new Error('ClickHouse unreachable'), { retryable: true });
    }
    this.inserts.push(batch.length);
    for (const r of batch) this.stored.add(r.event_id);
  }
}

const options = (store: Store) => ({
  store,
  logger,
  maxRows: 100,
  maxWaitMs: 1_000,
  idleMs: 5,
  retryMinDelayMs: 5,
  retryMaxDelayMs: 20,
});

describe('createBatcher', () => {
  it('gathers contributions that arrive together into one insert', async () => {
    const store = new Store();
    const batcher = createBatcher(options(store));
    const a = batcher.add(rows(30));
    const b = batcher.add(rows(40));
    await Promise.all([a.done, b.done]);
    expect(store.inserts).toEqual([70]);
    await batcher.close();
  });

  it('inserts at most maxRows per insert, but never splits one contribution', async () => {
    const store = new Store();
    const batcher = createBatcher(options(store));
    await Promise.all([batcher.add(rows(60)).done, batcher.add(rows(60)).done, batcher.add(rows(250)).done]);
    expect(store.inserts).toEqual([60, 60, 250]);
    await batcher.close();
  });

  it('retries a failed insert with backoff until it succeeds, reporting blocked and unblocked', async () => {
    const store = new Store();
    store.failures = 3;
    const events: boolean[] = [];
    const batcher = createBatcher({ ...options(store), onBlocked: (b) => events.push(b) });
    await batcher.add(rows(10)).done;
    expect(store.inserts).toEqual([10]);
    expect(events).toEqual([true, false]);
    expect(batcher.blocked()).toBe(false);
    await batcher.close();
  });

  it('runs inserts side by side, never two with the same event at once', async () => {
    const store = new Store();
    let inFlight = 0;
    let most = 0;
    const seen: string[][] = [];
    const slow: EventStore<EnrichedRow> = {
      existing: (ids) => store.existing(ids),
      insert: async (batch) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        seen.push(batch.map((r) => r.event_id));
        await new Promise((r) => setTimeout(r, 30));
        await store.insert(batch);
        inFlight -= 1;
      },
    };
    // Room for three inserts, but the third contribution repeats the second's events (a redelivery).
    const batcher = createBatcher({ ...options(store), store: slow, maxInFlight: 3 });
    const shared = rows(100);
    await Promise.all([
      batcher.add(rows(100)).done,
      batcher.add(shared).done,
      batcher.add(shared.map((r) => ({ ...r }))).done,
    ]);
    expect(most).toBe(2); // the copy waited for the original's insert…
    expect(seen).toHaveLength(2); // …whose rows its dedup lookup then found: nothing left to insert
    expect(store.inserts.reduce((a, b) => a + b, 0)).toBe(200);
    await batcher.close();
  });

  it('resolves a contribution with the indexes of the rows ClickHouse refused, and stores the others', async () => {
    const store = new Store();
    const batch = rows(10);
    const poison = new Set([batch[2]!.event_id, batch[7]!.event_id]);
    const refusing: EventStore<EnrichedRow> = {
      existing: (ids) => store.existing(ids),
      insert: async (b) => {
        if (b.some((r) => poison.has(r.event_id)))
          throw Object.assign(new Error('ClickHouse insert failed: bad value (code 27)'), { serverCode: 27 });
        await store.insert(b);
      },
    };
    const batcher = createBatcher({ ...options(store), store: refusing });
    expect(await batcher.add(batch).done).toEqual([
      { index: 2, reason: 'ClickHouse refused the row: bad value (code 27)' },
      { index: 7, reason: 'ClickHouse refused the row: bad value (code 27)' },
    ]);
    expect(store.stored.size).toBe(8);
    await batcher.close();
  });

  it('abandons waiting rows on request so that no later insert carries them', async () => {
    const store = new Store();
    store.failures = 1_000;
    const batcher = createBatcher(options(store));
    const c = batcher.add(rows(10));
    await new Promise((r) => setTimeout(r, 30));
    await c.abandon();
    await expect(c.done).rejects.toBeInstanceOf(AbandonedError);
    store.failures = 0;
    await new Promise((r) => setTimeout(r, 50));
    expect(store.inserts).toEqual([]);
    await batcher.close();
  });

  it('on close writes what waits, and abandons it if ClickHouse still refuses', async () => {
    const store = new Store();
    const batcher = createBatcher({ ...options(store), maxWaitMs: 60_000, idleMs: 60_000 });
    const c = batcher.add(rows(5));
    await batcher.close();
    await c.done;
    expect(store.inserts).toEqual([5]);

    const down = new Store();
    down.failures = 1_000;
    const b2 = createBatcher(options(down));
    const d = b2.add(rows(5));
    await new Promise((r) => setTimeout(r, 30));
    await b2.close();
    await expect(d.done).rejects.toBeInstanceOf(AbandonedError);
  });

  it('releases a contribution once, only after no insert attempt holds its rows any more', async () => {
    const released = new Map<string, number>();
    const releaser = (name: string) => () => released.set(name, (released.get(name) ?? 0) + 1);
    let gate!: () => void;
    let reads: Array<string | undefined> = [];
    const names = new Map<string, string>();
    const store: EventStore<EnrichedRow> = {
      existing: async () => new Set(),
      insert: async (batch) => {
        const held = [...new Set(batch.map((r) => names.get(r.event_id)))];
        await new Promise<void>((resolve) => (gate = resolve));
        // What the insert reads is still unreleased at its very end.
        reads = held.filter((name) => released.has(name!));
        throw Object.assign(new Error('ClickHouse unreachable'), { retryable: true });
      },
    };
    const batcher = createBatcher({ ...options(new Store()), store, maxWaitMs: 1 });
    const named = (name: string, n: number) => {
      const batch = rows(n);
      for (const r of batch) names.set(r.event_id, name);
      return batcher.add(batch, releaser(name));
    };
    const a = named('a', 3);
    await new Promise((r) => setTimeout(r, 20)); // a's insert is on the server
    const abandoning = a.abandon();
    await new Promise((r) => setTimeout(r, 10));
    expect(released.has('a')).toBe(false); // the attempt still holds a's rows
    gate();
    await abandoning;
    expect(reads).toEqual([]);
    expect(released.get('a')).toBe(1);

    const b = named('b', 2);
    await b.abandon(); // still waiting: released at once
    expect(released.get('b')).toBe(1);

    const c = named('c', 2);
    await new Promise((r) => setTimeout(r, 20));
    const closing = batcher.close();
    gate();
    await closing;
    await expect(c.done).rejects.toBeInstanceOf(AbandonedError);
    expect(reads).toEqual([]);
    expect([...released.entries()].sort()).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
  });

  it('releases written contributions after their insert was acknowledged', async () => {
    const store = new Store();
    const batcher = createBatcher(options(store));
    const order: string[] = [];
    const original = store.insert.bind(store);
    store.insert = async (batch) => {
      await original(batch);
      order.push('inserted');
    };
    await batcher.add(rows(4), () => order.push('released')).done;
    expect(order).toEqual(['inserted', 'released']);
    await batcher.close();
  });
});
