import net from 'node:net';
import { KeyEnvironment, KeyState, KeyType, Scope } from '@keywatch/contracts';
import { z } from 'zod';

/** True for an IPv4/IPv6 address or a CIDR block whose prefix length fits the family. */
export function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = net.isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** True for a bare origin (`scheme://host[:port]`), the form browsers send in `Origin`. */
export function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}

const scopeNames = new Set<string>(Scope.options);
/** Scopes as given by a person: unknown names are refused by name, duplicates are not allowed. */
const ScopeList = z
  .array(
    z.string().refine((s) => scopeNames.has(s), {
      error: (issue) => `unknown scope "${String(issue.input)}"; known: ${Scope.options.join(', ')}`,
    }),
  )
  .max(Scope.options.length)
  .refine((list) => new Set(list).size === list.length, 'must not repeat a scope')
  .transform((list) => list as Scope[]);

export const TenantId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain letters, digits and _ . : - only');
const Name = z.string().trim().min(1, 'must not be empty').max(200);
const AllowedIps = z
  .array(
    z.string().refine(isCidr, 'must be an IPv4 or IPv6 address or CIDR block, e.g. 203.0.113.0/24 or 2001:db8::/32'),
  )
  .max(100);
const AllowedOrigins = z
  .array(
    z
      .string()
      .refine(isOrigin, 'must be an origin such as https://app.example.com (scheme, host and optional port, no path)'),
  )
  .max(100);
const RateLimit = z.strictObject({
  limit: z.int().min(1).max(1_000_000),
  window_s: z.int().min(1).max(86_400),
});
const FutureTime = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2027-01-31T12:00:00Z' });

/** `POST /v1/keys` (docs/contracts.md#key-service). Unknown fields are refused by name. */
export const CreateKeyBody = z.strictObject({
  tenant_id: TenantId.optional(),
  type: KeyType,
  environment: KeyEnvironment,
  name: Name,
  scopes: ScopeList.optional(),
  expires_at: FutureTime.nullable().optional(),
  allowed_ips: AllowedIps.optional(),
  allowed_origins: AllowedOrigins.optional(),
  rate_limit: RateLimit.nullable().optional(),
});
export type CreateKeyBody = z.infer<typeof CreateKeyBody>;

/** `PATCH /v1/keys/:id`: at least one field. */
export const PatchKeyBody = z
  .strictObject({
    name: Name.optional(),
    scopes: ScopeList.optional(),
    allowed_ips: AllowedIps.optional(),
    allowed_origins: AllowedOrigins.optional(),
    rate_limit: RateLimit.nullable().optional(),
  })
  .refine(
    (body) => Object.keys(body).length > 0,
    'give at least one of name, scopes, allowed_ips, allowed_origins, rate_limit',
  );
export type PatchKeyBody = z.infer<typeof PatchKeyBody>;

/** `POST /v1/keys/:id/rotate`. Default grace 24 h; 0 expires the old key now; at most 30 days. */
export const RotateBody = z.strictObject({
  grace_period_s: z
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(86_400),
});

/** `POST /v1/keys/:id/deactivate|reactivate|revoke`. */
export const ReasonBody = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

export const KeyIdParam = z.strictObject({
  id: z
    .string()
    .max(64, 'must be a key id (key_…, at most 64 characters)')
    .regex(/^key_[A-Za-z0-9_-]{20,}$/, 'must be a key id (key_…)'),
});

const Time = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time' });

export const ListKeysQuery = z.strictObject({
  status: KeyState.optional(),
  environment: KeyEnvironment.optional(),
  tenant_id: TenantId.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const AuditQuery = z.strictObject({
  key_id: z.string().min(1).max(64).optional(),
  tenant_id: TenantId.optional(),
  from: Time.optional(),
  to: Time.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

export const PolicyQuery = z.strictObject({ tenant_id: TenantId.optional() });

/** `PUT /v1/policy`: how this tenant's keys respond to revocation triggers (docs/contracts.md#key-service). */
export const PolicyBody = z.strictObject({
  tenant_id: TenantId.optional(),
  mode: z.enum(['notify_only', 'suspend', 'revoke']),
  allow_live_revoke: z.boolean().default(false),
  max_actions_per_hour: z.int().min(0).max(10_000).default(10),
});
