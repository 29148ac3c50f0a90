import { describe, expect, it } from 'vitest';
import { declaredNodeFlags, missingNodeFlags } from './node-flags.js';

describe('node flags', () => {
  it('declares a bounded young generation', () => {
    expect(declaredNodeFlags()).toContain('--max-semi-space-size=8');
  });

  it('names the declared flags a launch left out, and accepts other values of them', () => {
    expect(missingNodeFlags(['--enable-source-maps'])).toEqual(declaredNodeFlags());
    expect(missingNodeFlags(['--max-semi-space-size=16'])).toEqual([]);
    expect(missingNodeFlags(['--max_semi_space_size=4'])).toEqual([]);
  });
});
