/** An event-time item of a window: when, and what it counts as (a credential, a source). */
export interface Item {
  score: number;
  member: string;
}

/**
 * Every window of `widthMs` that contains `ts`, over `items` sorted by score: each starts at an
 * item at or before `ts` (or at `ts - widthMs`). Evaluated this way, the result does not depend on
 * the order in which events from different partitions arrive: whichever event of a qualifying
 * window comes last sees the whole window.
 */
export function* windowsAround(items: readonly Item[], ts: number, widthMs: number): Generator<Item[]> {
  const starts = new Set<number>([ts - widthMs]);
  for (const item of items) if (item.score >= ts - widthMs && item.score <= ts) starts.add(item.score);
  for (const start of [...starts].sort((a, b) => a - b)) {
    yield items.filter((i) => i.score >= start && i.score <= start + widthMs);
  }
}

/** Attempts per member. */
export function tally(items: readonly Item[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.member, (counts.get(i.member) ?? 0) + 1);
  return counts;
}

/** The largest sum of `width` consecutive buckets among the windows that contain bucket `at`. */
export function maxBucketWindow(
  count: (bucket: number) => number,
  at: number,
  width: number,
): { sum: number; from: number } {
  let best = { sum: 0, from: at - width + 1 };
  for (let from = at - width + 1; from <= at; from += 1) {
    let sum = 0;
    for (let b = from; b < from + width; b += 1) sum += count(b);
    if (sum > best.sum) best = { sum, from };
  }
  return best;
}
