import { describe, expect, it } from 'vitest';
import { isClusterUrl } from './index.js';

describe('isClusterUrl', () => {
  it('is true only for cluster=true|1|yes on a valid URL', () => {
    expect(isClusterUrl('redis://127.0.0.1:27001/?cluster=true')).toBe(true);
    expect(isClusterUrl('rediss://user:pw@r1:6379/?cluster=1')).toBe(true);
    expect(isClusterUrl('redis://127.0.0.1:6379')).toBe(false);
    expect(isClusterUrl('redis://127.0.0.1:6379/?cluster=false')).toBe(false);
    expect(isClusterUrl('not a url')).toBe(false);
  });
});
