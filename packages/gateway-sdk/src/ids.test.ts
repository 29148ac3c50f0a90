import { isEventId } from '@keywatch/contracts';
import { describe, expect, it } from 'vitest';
import { fastEventId, newRequestId } from './ids.js';

describe('pooled ids', () => {
  it('are valid, time-ordered UUIDv7s, unique across pool refills', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => fastEventId(1_800_000_000_000 + i));
    for (const id of ids) expect(isEventId(id), id).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(newRequestId()).toMatch(/^req_[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
  });
});
