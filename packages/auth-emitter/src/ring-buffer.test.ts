import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  test('keeps FIFO order across wrap-around and refuses pushes when full', () => {
    const ring = new RingBuffer<number>(3);
    expect([ring.push(1), ring.push(2), ring.push(3), ring.push(4)]).toEqual([true, true, true, false]);
    expect(ring.take(2)).toEqual([1, 2]);
    ring.push(5);
    ring.push(6);
    expect(ring.length).toBe(3);
    expect(ring.take(10)).toEqual([3, 5, 6]);
    expect(ring.take(1)).toEqual([]);
  });

  test('puts a batch back in front of newer items and leaves out its oldest when it does not fit', () => {
    const ring = new RingBuffer<number>(4);
    for (const n of [1, 2, 3, 4]) ring.push(n);
    const batch = ring.take(3); // [1, 2, 3] in flight, [4] buffered
    ring.push(5);
    ring.push(6); // one slot free
    expect(ring.unshift(batch)).toEqual([1, 2]);
    expect(ring.take(4)).toEqual([3, 4, 5, 6]);
  });

  test('behaves like an array queue bounded at its capacity', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), value: fc.integer() }),
      fc.record({ kind: fc.constant('take' as const), value: fc.nat(6) }),
      fc.record({ kind: fc.constant('requeue' as const), value: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const ring = new RingBuffer<number>(capacity);
        let model: number[] = [];
        for (const { kind, value } of ops) {
          if (kind === 'push') {
            expect(ring.push(value)).toBe(model.length < capacity);
            if (model.length < capacity) model.push(value);
          } else if (kind === 'take') {
            expect(ring.take(value)).toEqual(model.slice(0, value));
            model = model.slice(value);
          } else {
            const batch = ring.take(value);
            model = model.slice(value);
            ring.push(-1);
            if (model.length < capacity) model.push(-1);
            const fit = Math.min(batch.length, capacity - model.length);
            expect(ring.unshift(batch)).toEqual(batch.slice(0, batch.length - fit));
            model = [...batch.slice(batch.length - fit), ...model];
          }
          expect(ring.length).toBe(model.length);
        }
        expect(ring.take(capacity)).toEqual(model);
      }),
    );
  });
});
