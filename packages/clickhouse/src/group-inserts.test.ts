import { describe, expect, it } from 'vitest';
import { groupInserts, type RowInserter } from './group-inserts.js';

interface Row {
  id: number;
  bad?: boolean;
}

/** An inserter whose inserts wait until released; refuses any insert holding a `bad` row. */
function recorder() {
  const inserts: Array<{ table: string; ids: number[] }> = [];
  const pending: Array<() => void> = [];
  const target: RowInserter<Row> = {
    insert(table, rows) {
      inserts.push({ table, ids: rows.map((r) => r.id) });
      return new Promise<void>((resolve, reject) => {
        pending.push(() => (rows.some((r) => r.bad) ? reject(new Error('refused')) : resolve()));
      });
    },
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  /** Releases every insert in flight, then lets the grouped inserter go on. */
  const release = async () => {
    for (const done of pending.splice(0)) done();
    await tick();
  };
  return { target, inserts, release, tick };
}

const rows = (...ids: number[]): Row[] => ids.map((id) => ({ id }));

describe('groupInserts', () => {
  it('sends a call at once when nothing is in flight, and resolves it on the acknowledgement', async () => {
    const { target, inserts, release, tick } = recorder();
    const grouped = groupInserts(target);
    let done = false;
    const call = grouped.insert('t', rows(1, 2)).then(() => (done = true));
    await tick();
    expect(inserts).toEqual([{ table: 't', ids: [1, 2] }]);
    expect(done).toBe(false);
    await release();
    await call;
    expect(done).toBe(true);
  });

  it('groups the calls made while an insert is in flight into the next insert', async () => {
    const { target, inserts, release, tick } = recorder();
    const grouped = groupInserts(target);
    const first = grouped.insert('t', rows(1));
    await tick();
    const later = [grouped.insert('t', rows(2, 3)), grouped.insert('t', rows(4)), grouped.insert('t', rows(5))];
    await tick();
    expect(inserts.map((i) => i.ids)).toEqual([[1]]);
    await release();
    await first;
    expect(inserts.map((i) => i.ids)).toEqual([[1], [2, 3, 4, 5]]);
    await release();
    await Promise.all(later);
    expect(inserts).toHaveLength(2);
  });

  it('keeps tables apart', async () => {
    const { target, inserts, release, tick } = recorder();
    const grouped = groupInserts(target);
    const calls = [grouped.insert('a', rows(1)), grouped.insert('b', rows(2))];
    await tick();
    expect(inserts).toEqual([
      { table: 'a', ids: [1] },
      { table: 'b', ids: [2] },
    ]);
    await release();
    await Promise.all(calls);
  });

  it('retries each call of a refused group alone, so only the call with the refused rows fails', async () => {
    const { target, inserts, release, tick } = recorder();
    const grouped = groupInserts(target);
    const first = grouped.insert('t', rows(1));
    await tick();
    const good = grouped.insert('t', rows(2));
    const bad = grouped.insert('t', [{ id: 3, bad: true }]);
    const outcome = Promise.allSettled([good, bad]);
    await release();
    await first;
    expect(inserts.map((i) => i.ids)).toEqual([[1], [2, 3]]);
    await release(); // the group is refused
    expect(inserts.map((i) => i.ids)).toEqual([[1], [2, 3], [2], [3]]);
    await release();
    const [goodResult, badResult] = await outcome;
    expect(goodResult.status).toBe('fulfilled');
    expect(badResult).toMatchObject({ status: 'rejected', reason: new Error('refused') });
  });

  it('fails every call of a group when each fails alone too (an outage), and starts afresh afterwards', async () => {
    let down = true;
    const seen: number[][] = [];
    const grouped = groupInserts<Row>({
      insert: async (_table, batch) => {
        seen.push(batch.map((r) => r.id));
        if (down) throw new Error('connection refused');
      },
    });
    const results = await Promise.allSettled([grouped.insert('t', rows(1)), grouped.insert('t', rows(2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    down = false;
    await grouped.insert('t', rows(3));
    expect(seen).toEqual([[1, 2], [1], [2], [3]]);
  });

  it('rejects the calls, and goes on, when the target throws instead of rejecting', async () => {
    let throwing = true;
    const grouped = groupInserts<Row>({
      insert: (_table, batch) => {
        if (throwing) throw new Error(`cannot send ${batch.length}`);
        return Promise.resolve();
      },
    });
    const results = await Promise.allSettled([grouped.insert('t', rows(1)), grouped.insert('t', rows(2, 3))]);
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('cannot send 1') },
      { status: 'rejected', reason: new Error('cannot send 2') },
    ]);
    throwing = false;
    await expect(grouped.insert('t', rows(4))).resolves.toBeUndefined();
  });

  it('puts at most maxRows rows in one insert, never splitting a call', async () => {
    const { target, inserts, release, tick } = recorder();
    const grouped = groupInserts(target, { maxRows: 3 });
    const first = grouped.insert('t', rows(1));
    await tick();
    const later = [
      grouped.insert('t', rows(2, 3)),
      grouped.insert('t', rows(4, 5)),
      grouped.insert('t', rows(6, 7, 8, 9)),
    ];
    await release();
    await first;
    await release();
    await release();
    await release();
    await Promise.all(later);
    expect(inserts.map((i) => i.ids)).toEqual([[1], [2, 3], [4, 5], [6, 7, 8, 9]]);
  });

  it('resolves an empty call without an insert', async () => {
    const { target, inserts } = recorder();
    await groupInserts(target).insert('t', []);
    expect(inserts).toEqual([]);
  });
});
