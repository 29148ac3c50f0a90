/** A seeded PRNG (mulberry32): the same seed gives the same traffic, for reproducible demos. */
export type Random = () => number;

export function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: Random, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty list');
  return items[Math.floor(random() * items.length)]!;
}

/** An index drawn with probability proportional to `weights`. */
export function weighted(random: Random, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < weights.length; i += 1) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/**
 * The diurnal traffic factor in [0.25, 1]: lowest at the day's start, highest at its middle.
 * `dayLengthMs` compresses a day for demos (default a real day).
 */
export function diurnalFactor(at: number, dayLengthMs = 86_400_000): number {
  const phase = (at % dayLengthMs) / dayLengthMs;
  return 0.25 + 0.75 * (0.5 - 0.5 * Math.cos(2 * Math.PI * phase));
}
