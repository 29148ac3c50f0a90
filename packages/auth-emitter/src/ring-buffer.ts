/**
 * A bounded FIFO over a fixed array: O(1) push, and take/put-back of a batch at the front in
 * O(batch). An array with `shift()` would be O(n) per take once V8 leaves its fast path.
 */
export class RingBuffer<T> {
  private readonly slots: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  get free(): number {
    return this.capacity - this.count;
  }

  /** Appends at the back; false (and nothing stored) when full. */
  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    this.slots[(this.head + this.count) % this.capacity] = item;
    this.count += 1;
    return true;
  }

  /** Removes and returns up to `max` items from the front, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const items = new Array<T>(n);
    for (let i = 0; i < n; i += 1) {
      items[i] = this.slots[this.head] as T;
      this.slots[this.head] = undefined; // let the item be collected once sent
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    return items;
  }

  /**
   * Puts items back at the front, ahead of everything buffered, in their order. When they do not
   * all fit, the oldest (the first ones) are left out and returned.
   */
  unshift(items: readonly T[]): T[] {
    const fit = Math.min(items.length, this.free);
    const left = items.length - fit;
    for (let i = items.length - 1; i >= left; i -= 1) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.slots[this.head] = items[i];
    }
    this.count += fit;
    return items.slice(0, left);
  }
}
