import { KeyState } from '@keywatch/contracts';
import { describe, expect, it } from 'vitest';
import { effectiveState, TRANSITIONS } from './state.js';

const now = new Date('2025-06-01T12:00:00.000Z');

describe('effectiveState', () => {
  it('calls an active or rotating key expired from the millisecond its expires_at is reached', () => {
    for (const state of ['active', 'rotating'] as const) {
      expect(effectiveState({ state, expires_at: '2025-06-01T11:59:59.999Z' }, now)).toBe('expired');
      expect(effectiveState({ state, expires_at: '2025-06-01T12:00:00.000Z' }, now)).toBe('expired');
      expect(effectiveState({ state, expires_at: '2025-06-01T12:00:00.001Z' }, now)).toBe(state);
      expect(effectiveState({ state, expires_at: null }, now)).toBe(state);
    }
  });

  it('reads expires_at with any RFC 3339 offset', () => {
    expect(effectiveState({ state: 'active', expires_at: '2025-06-01T13:59:59+02:00' }, now)).toBe('expired');
    expect(effectiveState({ state: 'active', expires_at: '2025-06-01T14:00:01+02:00' }, now)).toBe('active');
  });

  it('keeps every other stored state, expired or not', () => {
    for (const state of ['deactivated', 'suspended', 'revoked', 'expired'] as const) {
      expect(effectiveState({ state, expires_at: '2000-01-01T00:00:00.000Z' }, now)).toBe(state);
      expect(effectiveState({ state, expires_at: null }, now)).toBe(state);
    }
  });
});

describe('TRANSITIONS', () => {
  it('lets revoke start anywhere but revoked, and nothing leave revoked', () => {
    expect([...TRANSITIONS.revoke.from].sort()).toEqual(KeyState.options.filter((s) => s !== 'revoked').sort());
    for (const rule of Object.values(TRANSITIONS)) expect(rule.from).not.toContain('revoked');
  });

  it('only reactivates what a person or a trigger switched off', () => {
    expect(TRANSITIONS.reactivate).toEqual({ from: ['deactivated', 'suspended'], to: 'active', event: 'reactivated' });
  });

  it('never lists a transition from its own target state, except revoke and expire', () => {
    for (const [name, rule] of Object.entries(TRANSITIONS)) {
      if (name === 'revoke' || name === 'expire') continue;
      expect(rule.from, name).not.toContain(rule.to);
    }
  });
});
