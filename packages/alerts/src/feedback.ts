import type { Redis } from 'ioredis';

/**
 * People's feedback the detector applies before raising: suppression rules and trusted networks
 * per tenant, in Redis under the deployment's base prefix. The analytics API writes them (and the
 * audit entries); the detector reads them all and reloads when `feedback:version` changes.
 *
 * Keys, all in one hash slot (`{feedback}`) so each change is one MULTI on a Redis Cluster too:
 * `{feedback}:suppressions:<tenant>` (hash: rule id → rule JSON), `{feedback}:trusted:<tenant>`
 * (JSON), `{feedback}:threats:<tenant>` (JSON), `{feedback}:tenants` (tenants with any of them),
 * `{feedback}:version` (INCR on every change).
 */

/** A suppression rule: an alert matching every field it sets is not raised before `expires_at`. */
export interface Suppression {
  id: string;
  tenant_id: string;
  type: string | null;
  key_id: string | null;
  cidr: string | null;
  expires_at: string;
  reason: string;
  created_by: string;
  created_at: string;
  alert_id: string | null;
}

export interface TrustedNetworks {
  tenant_id: string;
  cidrs: string[];
  updated_at: string | null;
  updated_by: string | null;
}

export interface FeedbackStore {
  /** The tenant's rules that have not expired at `now` (expired ones are removed on the way). */
  listSuppressions(tenantId: string, now?: number): Promise<Suppression[]>;
  addSuppression(rule: Suppression): Promise<void>;
  /** The removed rule, or null when the tenant has none by that id. */
  deleteSuppression(tenantId: string, id: string): Promise<Suppression | null>;
  getTrustedNetworks(tenantId: string): Promise<TrustedNetworks>;
  setTrustedNetworks(networks: TrustedNetworks): Promise<void>;
  /** The tenant's own threat list (addresses and CIDRs whose requests raise `threat_list_ip`). */
  getThreatList(tenantId: string): Promise<TrustedNetworks>;
  setThreatList(list: TrustedNetworks): Promise<void>;
  /** Changes so far (any tenant): readers reload when it moves. */
  version(): Promise<number>;
  /** Every tenant's unexpired rules and trusted networks (the detector's full reload). */
  loadAll(
    now?: number,
  ): Promise<{ suppressions: Suppression[]; trusted: TrustedNetworks[]; threats: TrustedNetworks[] }>;
}

const suppressionsKey = (tenantId: string) => `{feedback}:suppressions:${tenantId}`;
const trustedKey = (tenantId: string) => `{feedback}:trusted:${tenantId}`;
const threatKey = (tenantId: string) => `{feedback}:threats:${tenantId}`;
const TENANTS = '{feedback}:tenants';
const VERSION = '{feedback}:version';

function parseRule(text: string | undefined): Suppression | null {
  if (!text) return null;
  try {
    const rule = JSON.parse(text) as Suppression;
    return typeof rule.id === 'string' && typeof rule.expires_at === 'string' ? rule : null;
  } catch {
    return null;
  }
}

/** A tenant's list of networks (trusted networks, threat list) from its stored JSON. */
function parseTrusted(tenantId: string, text: string | null): TrustedNetworks {
  if (text) {
    try {
      const value = JSON.parse(text) as TrustedNetworks;
      if (Array.isArray(value.cidrs)) return { ...value, tenant_id: tenantId };
    } catch {
      // A damaged value reads as no trusted networks: the detectors then judge everything (fail closed).
    }
  }
  return { tenant_id: tenantId, cidrs: [], updated_at: null, updated_by: null };
}

export function createFeedbackStore(options: { redis: Redis }): FeedbackStore {
  const { redis } = options;

  async function rulesOf(tenantId: string, now: number): Promise<Suppression[]> {
    const all = await redis.hgetall(suppressionsKey(tenantId));
    const live: Suppression[] = [];
    const expired: string[] = [];
    for (const [id, text] of Object.entries(all)) {
      const rule = parseRule(text);
      if (rule && Date.parse(rule.expires_at) > now) live.push(rule);
      else expired.push(id);
    }
    if (expired.length > 0) await redis.hdel(suppressionsKey(tenantId), ...expired);
    return live.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  }

  const trustedOf = async (tenantId: string) => parseTrusted(tenantId, await redis.get(trustedKey(tenantId)));
  const threatsOf = async (tenantId: string) => parseTrusted(tenantId, await redis.get(threatKey(tenantId)));
  const setList = async (key: string, list: TrustedNetworks) => {
    await redis.multi().set(key, JSON.stringify(list)).sadd(TENANTS, list.tenant_id).incr(VERSION).exec();
  };

  return {
    listSuppressions: (tenantId, now = Date.now()) => rulesOf(tenantId, now),

    async addSuppression(rule) {
      await redis
        .multi()
        .hset(suppressionsKey(rule.tenant_id), rule.id, JSON.stringify(rule))
        .sadd(TENANTS, rule.tenant_id)
        .incr(VERSION)
        .exec();
    },

    async deleteSuppression(tenantId, id) {
      const rule = parseRule((await redis.hget(suppressionsKey(tenantId), id)) ?? undefined);
      if (!rule) return null;
      await redis.multi().hdel(suppressionsKey(tenantId), id).incr(VERSION).exec();
      return rule;
    },

    getTrustedNetworks: trustedOf,

    setTrustedNetworks: (networks) => setList(trustedKey(networks.tenant_id), networks),
    getThreatList: threatsOf,
    setThreatList: (list) => setList(threatKey(list.tenant_id), list),

    async version() {
      return Number((await redis.get(VERSION)) ?? 0);
    },

    async loadAll(now = Date.now()) {
      const tenants = await redis.smembers(TENANTS);
      const suppressions: Suppression[] = [];
      const trusted: TrustedNetworks[] = [];
      const threats: TrustedNetworks[] = [];
      for (const tenantId of tenants) {
        suppressions.push(...(await rulesOf(tenantId, now)));
        const networks = await trustedOf(tenantId);
        if (networks.cidrs.length > 0) trusted.push(networks);
        const listed = await threatsOf(tenantId);
        if (listed.cidrs.length > 0) threats.push(listed);
      }
      return { suppressions, trusted, threats };
    },
  };
}
