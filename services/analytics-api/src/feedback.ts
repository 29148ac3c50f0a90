import { createHash, randomBytes } from 'node:crypto';
import type { FeedbackStore, Suppression, TrustedNetworks } from '@keywatch/alerts';
import { AlertType, Cidr, isKeyId, parseEventTime, toEventTime, type RevocationTrigger } from '@keywatch/contracts';
import { ApiError } from '@keywatch/http-api';
import type { AuditLog } from '@keywatch/keystore';
import { z } from 'zod';
import type { AlertFeed, AlertView } from './alerts.js';
import type { Caller } from './auth.js';

/**
 * Feedback on alerts (dismiss, confirm), suppression rules and trusted networks. The rules and
 * networks live in Redis (`@keywatch/alerts` feedback store) where the detector reads them; every
 * change is also an entry in the tenant's audit stream.
 */

const MAX_SUPPRESSION_S = 365 * 86_400;
const Note = z.string().max(2000, 'must be at most 2000 characters').optional().describe('why (kept in the audit)');

export const DismissBody = z.strictObject({
  reason: z.enum(['false_positive', 'expected']).describe('false_positive or expected'),
  suppress: z
    .strictObject({
      scope: z.enum(['key', 'ip', 'tenant']).describe("the alert's key, its source IP, or the whole tenant"),
      for_s: z
        .number()
        .int('must be a whole number of seconds')
        .min(60, 'must be at least 60')
        .max(MAX_SUPPRESSION_S, 'must be at most 365 days')
        .describe('seconds the rule lasts'),
    })
    .optional()
    .describe("a suppression rule for the alert's type and this scope"),
  note: Note,
});

export const ConfirmBody = z.strictObject({ note: Note }).optional();

export const SuppressionBody = z.strictObject({
  type: AlertType.optional().describe('only alerts of this type (default: every type)'),
  key_id: z
    .string()
    .refine(isKeyId, 'must be a key id (key_ followed by 20+ url-safe characters)')
    .optional()
    .describe('only alerts about this key'),
  cidr: Cidr.optional().describe('only alerts whose source IP is in this block'),
  expires_at: z
    .string()
    .refine((text) => parseEventTime(text) !== null, 'must be an RFC 3339 date-time')
    .describe('when the rule ends (RFC 3339, at most 365 days ahead)'),
  reason: z.string().min(1, 'must not be empty').max(500).describe('why'),
  tenant_id: z.string().min(1).max(200).optional().describe('root key only: the tenant'),
});

export const SuppressionIdParam = z.strictObject({
  id: z.string().regex(/^sup_[A-Za-z0-9_-]{1,64}$/, 'must be a suppression id (sup_…)'),
});

export const TenantQuery = z.strictObject({
  tenant_id: z.string().min(1).max(200).optional().describe('root key only: the tenant'),
});

export const ThreatListBody = z.strictObject({
  cidrs: z.array(Cidr).max(100_000, 'at most 100000 entries').describe('IPv4/IPv6 addresses or CIDR blocks'),
  tenant_id: z.string().min(1).max(200).optional().describe('root key only: the tenant'),
});

export const TrustedNetworksBody = z.strictObject({
  cidrs: z.array(Cidr).max(1000, 'at most 1000 blocks').describe('IPv4/IPv6 addresses or CIDR blocks'),
  tenant_id: z.string().min(1).max(200).optional().describe('root key only: the tenant'),
});

/** Where confirm sends its revocation trigger (the `key-revocation-triggers` topic in production). */
export interface TriggerSink {
  send(trigger: RevocationTrigger): Promise<void>;
}

export interface FeedbackDependencies {
  alerts: AlertFeed;
  feedback: FeedbackStore;
  audit: Pick<AuditLog, 'recordAudit'>;
  triggers: TriggerSink;
  now: () => number;
}

const actorOf = (caller: Caller) => (caller.kind === 'root' ? 'root' : `key:${caller.keyId}`);
const hash = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The trigger confirm sends: its id derives from the alert, so repeating confirm is the same trigger. */
export function confirmTrigger(alert: AlertView, now: number): RevocationTrigger {
  return {
    v: 1,
    trigger_id: `trg_confirm_${hash(alert.alert_id).slice(0, 22)}`,
    ts: toEventTime(now),
    tenant_id: alert.tenant_id!,
    key_id: alert.key_id!,
    alert_id: alert.alert_id,
    reason: alert.type as RevocationTrigger['reason'],
    requested_action: 'revoke',
  };
}

export function createFeedback(deps: FeedbackDependencies) {
  async function audit(
    tenantId: string,
    keyId: string | null,
    caller: Caller,
    action: string,
    reason: string | null,
    details: Record<string, unknown>,
  ) {
    await deps.audit.recordAudit(
      { tenant_id: tenantId, key_id: keyId, actor: actorOf(caller), action, reason, details },
      new Date(deps.now()),
    );
  }

  async function addRule(caller: Caller, rule: Suppression): Promise<Suppression> {
    await deps.feedback.addSuppression(rule);
    await audit(rule.tenant_id, rule.key_id, caller, 'suppression_created', rule.reason, {
      suppression_id: rule.id,
      type: rule.type,
      cidr: rule.cidr,
      expires_at: rule.expires_at,
      alert_id: rule.alert_id,
    });
    return rule;
  }

  return {
    async dismiss(caller: Caller, alertId: string, body: z.output<typeof DismissBody>) {
      let rule: Suppression | undefined;
      const { alert } = await deps.alerts.feedback(
        caller,
        alertId,
        'dismissed',
        body.note,
        (found) => {
          const scope = body.suppress?.scope;
          if (found.tenant_id === null && scope !== undefined)
            throw new ApiError(422, 'invalid_request', 'an alert without a tenant cannot be suppressed', 'suppress');
          if (scope === 'key' && found.key_id === null)
            throw new ApiError(422, 'invalid_request', 'this alert names no key; suppress by ip or tenant', 'suppress');
          if (scope === 'ip' && found.ip === null)
            throw new ApiError(422, 'invalid_request', 'this alert names no IP; suppress by key or tenant', 'suppress');
        },
        { reason: body.reason, suppress: body.suppress ?? null },
      );
      if (body.suppress && alert.tenant_id !== null) {
        const now = deps.now();
        // One rule per alert and scope: repeating the call renews it instead of adding another.
        rule = await addRule(caller, {
          id: `sup_${hash(`${alert.alert_id}|${body.suppress.scope}`).slice(0, 22)}`,
          tenant_id: alert.tenant_id,
          type: alert.type,
          key_id: body.suppress.scope === 'key' ? alert.key_id : null,
          cidr: body.suppress.scope === 'ip' ? alert.ip : null,
          expires_at: new Date(now + body.suppress.for_s * 1000).toISOString(),
          reason: `${body.reason}${body.note ? `: ${body.note}` : ''}`,
          created_by: actorOf(caller),
          created_at: new Date(now).toISOString(),
          alert_id: alert.alert_id,
        });
      }
      return rule ? { alert, suppression: rule } : { alert };
    },

    async confirm(caller: Caller, alertId: string, note: string | undefined) {
      let trigger: RevocationTrigger | undefined;
      const { alert } = await deps.alerts.feedback(caller, alertId, 'confirmed', note, (found) => {
        if (found.key_id === null || found.tenant_id === null)
          throw new ApiError(422, 'invalid_request', 'this alert names no key to revoke', 'id');
        trigger = confirmTrigger(found, deps.now());
      });
      trigger ??= confirmTrigger(alert, deps.now());
      // Sent on every confirm (the same trigger id): the key service applies it once, by policy.
      await deps.triggers.send(trigger);
      return { alert, trigger: { trigger_id: trigger.trigger_id, requested_action: trigger.requested_action } };
    },

    async listSuppressions(tenantId: string) {
      return { suppressions: await deps.feedback.listSuppressions(tenantId, deps.now()) };
    },

    async createSuppression(caller: Caller, tenantId: string, body: z.output<typeof SuppressionBody>) {
      if (body.type === undefined && body.key_id === undefined && body.cidr === undefined)
        throw new ApiError(400, 'invalid_request', 'a rule needs at least one of type, key_id, cidr', 'type');
      const now = deps.now();
      const expires = parseEventTime(body.expires_at)!.getTime();
      if (expires <= now || expires > now + MAX_SUPPRESSION_S * 1000)
        throw new ApiError(400, 'invalid_request', 'must be in the future, at most 365 days ahead', 'expires_at');
      const rule = await addRule(caller, {
        id: `sup_${randomBytes(12).toString('base64url')}`,
        tenant_id: tenantId,
        type: body.type ?? null,
        key_id: body.key_id ?? null,
        cidr: body.cidr ?? null,
        expires_at: new Date(expires).toISOString(),
        reason: body.reason,
        created_by: actorOf(caller),
        created_at: new Date(now).toISOString(),
        alert_id: null,
      });
      return { suppression: rule };
    },

    async deleteSuppression(caller: Caller, tenantId: string, id: string) {
      const rule = await deps.feedback.deleteSuppression(tenantId, id);
      if (!rule) throw new ApiError(404, 'not_found', 'suppression not found');
      await audit(tenantId, rule.key_id, caller, 'suppression_deleted', null, {
        suppression_id: id,
        type: rule.type,
        cidr: rule.cidr,
        expires_at: rule.expires_at,
      });
    },

    getTrustedNetworks: (tenantId: string) => deps.feedback.getTrustedNetworks(tenantId),
    getThreatList: (tenantId: string) => deps.feedback.getThreatList(tenantId),

    async setThreatList(caller: Caller, tenantId: string, cidrs: readonly string[]): Promise<TrustedNetworks> {
      const before = await deps.feedback.getThreatList(tenantId);
      const list: TrustedNetworks = {
        tenant_id: tenantId,
        cidrs: [...new Set(cidrs)],
        updated_at: new Date(deps.now()).toISOString(),
        updated_by: actorOf(caller),
      };
      await deps.feedback.setThreatList(list);
      await audit(tenantId, null, caller, 'threat_list_updated', null, {
        entries_before: before.cidrs.length,
        entries_after: list.cidrs.length,
      });
      return list;
    },

    async setTrustedNetworks(caller: Caller, tenantId: string, cidrs: readonly string[]): Promise<TrustedNetworks> {
      const before = await deps.feedback.getTrustedNetworks(tenantId);
      const networks: TrustedNetworks = {
        tenant_id: tenantId,
        cidrs: [...new Set(cidrs)],
        updated_at: new Date(deps.now()).toISOString(),
        updated_by: actorOf(caller),
      };
      await deps.feedback.setTrustedNetworks(networks);
      await audit(tenantId, null, caller, 'trusted_networks_updated', null, {
        before: before.cidrs,
        after: networks.cidrs,
      });
      return networks;
    },
  };
}

export type Feedback = ReturnType<typeof createFeedback>;
