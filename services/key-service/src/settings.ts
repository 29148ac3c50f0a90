import type { KeyType } from '@keywatch/contracts';
import type { AuditLog } from '@keywatch/keystore';
import type { Redis } from '@keywatch/redis';
import { z } from 'zod';

/** What happens to a key reported leaked: the trigger's outcome under the tenant's leak policy. */
export const LeakAction = z.enum(['revoke', 'suspend', 'notify_only']);
export type LeakAction = z.infer<typeof LeakAction>;

/** A tenant's leak policy, per key type. */
export interface LeakPolicy {
  secret: LeakAction;
  publishable: LeakAction;
}

/** A published secret key is compromised; a published publishable key is expected. */
export const DEFAULT_LEAK_POLICY: Readonly<LeakPolicy> = { secret: 'revoke', publishable: 'notify_only' };

/** A tenant's hygiene settings. */
export interface HygieneSettings {
  /** Raise `key_expiring` 7 days and 1 day before `expires_at`. Default true. */
  key_expiring: boolean;
  /** Raise `rotation_grace_ending` for an old key used in the last hour of its grace period. Default true. */
  rotation_grace_ending: boolean;
  /** Raise `key_unused` for a secret key idle this many days; 0 turns it off. Default 90. */
  key_unused_days: number;
}

export const DEFAULT_HYGIENE_SETTINGS: Readonly<HygieneSettings> = {
  key_expiring: true,
  rotation_grace_ending: true,
  key_unused_days: 90,
};

const StoredLeakPolicy = z.object({ secret: LeakAction.optional(), publishable: LeakAction.optional() });
const StoredHygiene = z.object({
  key_expiring: z.enum(['true', 'false']).optional(),
  rotation_grace_ending: z.enum(['true', 'false']).optional(),
  key_unused_days: z
    .string()
    .regex(/^\d{1,5}$/)
    .optional(),
});

const leakPolicyKey = (tenant: string) => `leaks:policy:${tenant}`;
const hygieneKey = (tenant: string) => `hygiene:settings:${tenant}`;

/**
 * Per-tenant leak policy and hygiene settings, in Redis next to the keystore (one hash each, single-key
 * commands, so Redis Cluster needs nothing special). Changes are audited by the caller's actor.
 */
export class TenantSettings {
  constructor(private readonly deps: { redis: Redis; audit: AuditLog }) {}

  async leakPolicy(tenant: string): Promise<LeakPolicy> {
    const parsed = StoredLeakPolicy.safeParse(await this.deps.redis.hgetall(leakPolicyKey(tenant)));
    // A corrupt hash falls back to the defaults, which are the safe side for secret keys.
    return { ...DEFAULT_LEAK_POLICY, ...(parsed.success ? parsed.data : {}) };
  }

  async leakAction(tenant: string, type: KeyType): Promise<LeakAction> {
    return (await this.leakPolicy(tenant))[type];
  }

  async setLeakPolicy(tenant: string, change: Partial<LeakPolicy>, actor: string): Promise<LeakPolicy> {
    const before = await this.leakPolicy(tenant);
    const after = { ...before, ...change };
    await this.deps.redis.hset(leakPolicyKey(tenant), after);
    await this.deps.audit.recordAudit({
      tenant_id: tenant,
      key_id: null,
      actor,
      action: 'leak_policy_updated',
      reason: null,
      details: { before, after },
    });
    return after;
  }

  async hygiene(tenant: string): Promise<HygieneSettings> {
    const parsed = StoredHygiene.safeParse(await this.deps.redis.hgetall(hygieneKey(tenant)));
    const stored = parsed.success ? parsed.data : {};
    return {
      key_expiring:
        stored.key_expiring === undefined ? DEFAULT_HYGIENE_SETTINGS.key_expiring : stored.key_expiring === 'true',
      rotation_grace_ending:
        stored.rotation_grace_ending === undefined
          ? DEFAULT_HYGIENE_SETTINGS.rotation_grace_ending
          : stored.rotation_grace_ending === 'true',
      key_unused_days:
        stored.key_unused_days === undefined
          ? DEFAULT_HYGIENE_SETTINGS.key_unused_days
          : Number(stored.key_unused_days),
    };
  }

  async setHygiene(tenant: string, change: Partial<HygieneSettings>, actor: string): Promise<HygieneSettings> {
    const before = await this.hygiene(tenant);
    const after = { ...before, ...change };
    await this.deps.redis.hset(hygieneKey(tenant), {
      key_expiring: String(after.key_expiring),
      rotation_grace_ending: String(after.rotation_grace_ending),
      key_unused_days: String(after.key_unused_days),
    });
    await this.deps.audit.recordAudit({
      tenant_id: tenant,
      key_id: null,
      actor,
      action: 'hygiene_settings_updated',
      reason: null,
      details: { before, after },
    });
    return after;
  }
}
