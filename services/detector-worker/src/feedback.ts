import type { FeedbackStore, Suppression } from '@keywatch/alerts';
import { IpRangeSet, parseCidr, type IpRange } from '@keywatch/contracts';
import type { AlertType } from '@keywatch/contracts';
import type { ThreatMatch } from './detectors/types.js';

/**
 * The people's feedback as the detector applies it: suppression rules (an alert matching a rule
 * is not raised) and trusted networks (the geography and credential-stuffing detectors do not
 * judge requests from them). Both are read from the analytics API's store in Redis and reloaded
 * when its change counter moves, checked at most every `refreshMs` (default 5 s): a rule takes
 * effect within that time on every instance.
 */
export interface FeedbackView {
  /** Reloads when due and changed; cheap otherwise. Failures keep the last rules (logged by the caller). */
  refresh(): Promise<void>;
  /** Whether `ip` is in one of `tenantId`'s trusted networks. */
  trusted(tenantId: string | null, ip: string): boolean;
  /** The entry of `tenantId`'s own threat list that `ip` is on, if any. */
  threat(tenantId: string | null, ip: string): ThreatMatch | undefined;
  /** The rule that silences an alert of `type` about `keyId` from `ip` in `tenantId` at wall time `now`, if any. */
  suppressedBy(
    signal: { type: AlertType; tenantId: string | null; keyId: string | null; ip: string | null },
    now: number,
  ): Suppression | undefined;
}

/** The detectors that trusted networks exempt (the issue: "the geo and stuffing detectors"). */
export const TRUST_EXEMPT: ReadonlySet<AlertType> = new Set<AlertType>([
  'geo_new_country',
  'impossible_travel',
  'credential_stuffing',
]);

interface CompiledRule {
  rule: Suppression;
  expires: number;
  range: IpRange | null;
}

function inRange(ip: string, range: IpRange): boolean {
  const address = parseCidr(ip);
  return (
    address !== null && address.family === range.family && address.first >= range.first && address.first <= range.last
  );
}

export function createFeedbackView(options: {
  store: Pick<FeedbackStore, 'version' | 'loadAll'>;
  refreshMs?: number;
  now?: () => number;
}): FeedbackView {
  const refreshMs = options.refreshMs ?? 5_000;
  const now = options.now ?? Date.now;
  let checkedAt = Number.NEGATIVE_INFINITY;
  let loadedVersion = -1;
  let trusted = new Map<string, IpRangeSet<true>>();
  let rules = new Map<string, CompiledRule[]>();
  let threats = new Map<string, IpRangeSet<ThreatMatch>>();
  let loading: Promise<void> | undefined;

  async function load(wall: number): Promise<void> {
    const version = await options.store.version();
    if (version !== loadedVersion) {
      const all = await options.store.loadAll(wall);
      const nextTrusted = new Map<string, IpRangeSet<true>>();
      for (const networks of all.trusted) {
        const ranges = networks.cidrs.map((c) => parseCidr(c)).filter((r): r is IpRange => r !== null);
        nextTrusted.set(networks.tenant_id, new IpRangeSet(ranges.map((range) => ({ range, label: true as const }))));
      }
      const nextRules = new Map<string, CompiledRule[]>();
      for (const rule of all.suppressions) {
        const list = nextRules.get(rule.tenant_id) ?? [];
        list.push({
          rule,
          expires: Date.parse(rule.expires_at),
          range: rule.cidr === null ? null : parseCidr(rule.cidr),
        });
        nextRules.set(rule.tenant_id, list);
      }
      const nextThreats = new Map<string, IpRangeSet<ThreatMatch>>();
      for (const list of all.threats) {
        const entries = list.cidrs.flatMap((entry) => {
          const range = parseCidr(entry);
          return range ? [{ range, label: { list: `tenant:${list.tenant_id}`, entry } }] : [];
        });
        nextThreats.set(list.tenant_id, new IpRangeSet(entries));
      }
      trusted = nextTrusted;
      rules = nextRules;
      threats = nextThreats;
      loadedVersion = version;
    }
    // Only a completed check counts: a failed one is retried by the next batch.
    checkedAt = wall;
  }

  return {
    refresh() {
      // Concurrent batches share one load: a batch must not run on the rules of before the load it waits for.
      if (loading) return loading;
      const wall = now();
      if (wall - checkedAt < refreshMs) return Promise.resolve();
      loading = load(wall).finally(() => {
        loading = undefined;
      });
      return loading;
    },

    trusted(tenantId, ip) {
      if (tenantId === null) return false;
      return trusted.get(tenantId)?.match(ip) === true;
    },

    threat(tenantId, ip) {
      return tenantId === null ? undefined : threats.get(tenantId)?.match(ip);
    },

    suppressedBy(signal, wall) {
      if (signal.tenantId === null) return undefined;
      for (const { rule, expires, range } of rules.get(signal.tenantId) ?? []) {
        if (expires <= wall) continue;
        if (rule.type !== null && rule.type !== signal.type) continue;
        if (rule.key_id !== null && rule.key_id !== signal.keyId) continue;
        if (rule.cidr !== null && (range === null || signal.ip === null || !inRange(signal.ip, range))) continue;
        return rule;
      }
      return undefined;
    },
  };
}
