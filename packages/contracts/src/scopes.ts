import { z } from 'zod';

/** The scopes of the product's key documentation, by group. */
export const SCOPE_GROUPS = {
  read: ['subscriptions:read', 'customers:read', 'bundles:read', 'analytics:read'],
  write: ['subscriptions:write', 'customers:write', 'payments:write', 'campaigns:write'],
  admin: ['keys:manage', 'webhooks:manage', 'audit:read', 'team:manage'],
} as const;

/** One permission a key may hold and a route may need. */
export const Scope = z.enum([...SCOPE_GROUPS.read, ...SCOPE_GROUPS.write, ...SCOPE_GROUPS.admin]);
export type Scope = z.infer<typeof Scope>;

/** The only scopes a publishable key may hold. */
export const PUBLIC_SCOPES: readonly Scope[] = ['bundles:read'];

/** What a secret key gets when no scopes are asked for: read and write, never admin (granted explicitly only). */
export const DEFAULT_SECRET_SCOPES: readonly Scope[] = [...SCOPE_GROUPS.read, ...SCOPE_GROUPS.write];

/** True when a publishable key may hold `scope`. */
export function isPublicScope(scope: string): boolean {
  return (PUBLIC_SCOPES as readonly string[]).includes(scope);
}
