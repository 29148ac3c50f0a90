import { expect, test } from 'vitest';
import { MemoryStore } from '../state/memory-store.js';
import { Plan } from '../state/ops.js';
import { FirstSeenMemo } from './baseline.js';

const T = Date.parse('2026-03-09T10:00:00Z');

/** A plan for an event of message key `key_k` at `ts`: its guard, then `add`'s operations. */
function eventPlan(id: string, ts: number, add: (plan: Plan) => void = () => undefined): Plan {
  const plan = new Plan();
  plan.add({ kind: 'seen', key: plan.key('seen:key_k', 'key_k'), eventId: id, ts, latenessMs: 60_000, ttlS: 3600 });
  add(plan);
  return plan;
}

test('a write-once value is written by the next event of the batch when the first that asks turns out late', async () => {
  const store = new MemoryStore();
  await store.apply([eventPlan('e0', T)]);
  const batch = new FirstSeenMemo().batch();
  const reads: Array<(r: readonly unknown[]) => number> = [];
  const plans = [T - 120_000, T + 1_000].map((ts, i) =>
    eventPlan(`e${i + 1}`, ts, (plan) => reads.push(batch.once(plan, 'h:ipk:1.2.3.4|key_k', '1.2.3.4', 'f', ts, 3600))),
  );
  const results = await store.apply(plans);
  batch.applied(new Set(plans.filter((_, i) => results[i]?.[0] === -1)));
  expect(results[0]).toEqual([-1]);
  expect(reads[1]?.(results[1] ?? [])).toBe(T + 1_000);
});

test('once known, a write-once value costs no operation; an earliest time is written only when earlier than the known one', async () => {
  const store = new MemoryStore();
  const memo = new FirstSeenMemo();
  const first = memo.batch();
  const p1 = eventPlan('e1', T, (plan) => {
    first.once(plan, 'h:ipk:1.2.3.4|key_k', '1.2.3.4', 'f', T, 3600);
    first.earliest(plan, 'z:ipfirst:1.2.3.4', '1.2.3.4', 'key_k|t', T, 3600, 100);
  });
  const r1 = await store.apply([p1]);
  first.applied(new Set());
  expect(r1[0]?.[0]).toBe(1);

  const second = memo.batch();
  let read: ((r: readonly unknown[]) => number) | undefined;
  const later = eventPlan('e2', T + 1_000, (plan) => {
    read = second.once(plan, 'h:ipk:1.2.3.4|key_k', '1.2.3.4', 'f', T + 1_000, 3600);
    second.earliest(plan, 'z:ipfirst:1.2.3.4', '1.2.3.4', 'key_k|t', T + 1_000, 3600, 100);
  });
  // Only the guard: the value is known (read from the first batch's result) and T + 1 s is not earlier than T.
  expect(later.ops.map((op) => op.kind)).toEqual(['seen', 'hmget']);
  const earlier = eventPlan('e3', T - 1_000, (plan) =>
    second.earliest(plan, 'z:ipfirst:1.2.3.4', '1.2.3.4', 'key_k|t', T - 1_000, 3600, 100),
  );
  expect(earlier.ops.map((op) => op.kind)).toEqual(['seen', 'zadd']);
  const r2 = await store.apply([later]);
  expect(read?.(r2[0] ?? [])).toBe(T);
});
