import { describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_SCOPES, isPublicScope, PUBLIC_SCOPES, Scope, SCOPE_GROUPS } from './scopes.js';

describe('scopes', () => {
  it('match the groups of the key documentation', () => {
    expect(SCOPE_GROUPS).toEqual({
      read: ['subscriptions:read', 'customers:read', 'bundles:read', 'analytics:read'],
      write: ['subscriptions:write', 'customers:write', 'payments:write', 'campaigns:write'],
      admin: ['keys:manage', 'webhooks:manage', 'audit:read', 'team:manage'],
    });
    expect(Scope.options).toHaveLength(12);
  });

  it('let publishable keys hold bundles:read only', () => {
    expect(PUBLIC_SCOPES).toEqual(['bundles:read']);
    expect(Scope.options.filter(isPublicScope)).toEqual(['bundles:read']);
    expect(isPublicScope('bundles:write')).toBe(false);
  });

  it('give secret keys read and write, never admin, by default', () => {
    expect([...DEFAULT_SECRET_SCOPES].sort()).toEqual([...SCOPE_GROUPS.read, ...SCOPE_GROUPS.write].sort());
    for (const scope of SCOPE_GROUPS.admin) expect(DEFAULT_SECRET_SCOPES).not.toContain(scope);
  });
});
