import { describe, expect, it } from 'vitest';
import { KeyCache } from './cache.js';
import { testKey } from './testing.js';

describe('KeyCache', () => {
  it('is bounded, least recently used out first, and keeps its key id index in step', () => {
    const cache = new KeyCache({ max: 2 });
    const [a, b, c] = [testKey(), testKey(), testKey()];
    cache.set(a.hash, a.record, cache.epoch());
    cache.set(b.hash, b.record, cache.epoch());
    expect(cache.get(a.hash)).toBe(a.record);
    cache.set(c.hash, c.record, cache.epoch());
    expect(cache.get(b.hash)).toBeUndefined();
    expect(cache.dropKey(b.record.id)).toBe(false);
    expect(cache.dropKey(a.record.id)).toBe(true);
    expect(cache.get(a.hash)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ size: 1, hits: 1, misses: 2, invalidations: 1 });
  });

  it('remembers unknown keys for the negative TTL only', async () => {
    const cache = new KeyCache({ negativeTtlMs: 30 });
    cache.set('h1', null, cache.epoch());
    expect(cache.get('h1')).toBeNull();
    expect(cache.stats().negativeHits).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.get('h1')).toBeUndefined();
  });

  it('refuses a lookup result that an invalidation overtook', () => {
    const cache = new KeyCache();
    const key = testKey();
    const startedAt = cache.epoch();
    cache.dropKey(key.record.id);
    expect(cache.set(key.hash, key.record, startedAt)).toBe(false);
    expect(cache.get(key.hash)).toBeUndefined();
    cache.set(key.hash, key.record, cache.epoch());
    cache.clear();
    expect(cache.get(key.hash)).toBeUndefined();
  });
});
