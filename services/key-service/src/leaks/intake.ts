import {
  hashKey,
  newEventId,
  parseKey,
  toEventTime,
  type Alert,
  type LeakLabel,
  type RevocationTrigger,
} from '@keywatch/contracts';
import { effectiveState, type AuditLog, type KeyRecord, type KeyRecords } from '@keywatch/keystore';
import type { Logger } from '@keywatch/logger';
import type { Redis } from '@keywatch/redis';
import { alertIdFor, type AlertPath } from '../alert-path.js';

/** Where and how a token was found. */
export interface LeakFinding {
  source: string;
  url: string;
  /** The scanner's name for the token type (GitHub's `type`). */
  type?: string;
  note?: string;
}

/** The verdict on one reported token or key. */
export interface LeakVerdict {
  label: LeakLabel;
  key_id: string | null;
  /** Set for true positives: the same id for every report of the same key. */
  leak_id: string | null;
}

/** A key's last successful use as the analytics data knows it. */
export interface LastUse {
  ip: string;
  ts: string;
}

/** Looks up the last successful use of keys (ClickHouse `auth_events`); may be slow or down. */
export type LastUseLookup = (keys: ReadonlyArray<{ tenant_id: string; id: string }>) => Promise<Map<string, LastUse>>;

interface Claim {
  leak_id: string;
  alert_id: string;
  trigger_id: string;
  /** Wall-clock ms of the claim. */
  at: number;
  done: boolean;
}

/** States in which a key still matters if it leaked: it works, or a person can make it work again. */
const LIVE_STATES = new Set(['active', 'rotating', 'deactivated', 'suspended']);
// A claim older than this that never finished (a crash, a failed publish) is taken over by the next report.
const STALE_CLAIM_MS = 30_000;
// Long enough that a key reported again months later is still the same leak; a key leaks once.
const CLAIM_TTL_S = 400 * 24 * 3600;
const LAST_USE_BUDGET_MS = 1_000;

const claimKey = (keyId: string) => `leaks:claim:${keyId}`;

/**
 * Labels reported tokens and acts on the live ones: one `key_leaked` alert and one revocation
 * trigger per key however often and however concurrently it is reported (a Redis claim per key),
 * every report audited. The trigger asks to revoke; the trigger handler applies the tenant's leak
 * policy, so the decision and its audit entry live in one place for every trigger.
 */
export class LeakIntake {
  constructor(
    private readonly deps: {
      store: Pick<KeyRecords, 'getManyByHash' | 'getById'> & Pick<AuditLog, 'recordAudit'>;
      redis: Redis;
      alerts: AlertPath;
      lastUse?: LastUseLookup;
      pepper?: string;
      logger: Logger;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** True when a record is a key whose leak matters (see LIVE_STATES). */
  isLive(key: KeyRecord): boolean {
    return LIVE_STATES.has(effectiveState(key, this.now()));
  }

  /**
   * Looks tokens up: a token whose shape or checksum fails costs no lookup; the rest are hashed and
   * read in one pipelined round trip. The records are in the order of `tokens` (null: not a key).
   */
  async lookup(tokens: readonly string[]): Promise<Array<KeyRecord | null>> {
    const hashes = new Map<string, string>();
    for (const token of tokens)
      if (!hashes.has(token) && parseKey(token).ok) hashes.set(token, hashKey(token, this.deps.pepper));
    const unique = [...new Set(hashes.values())];
    const records = await this.deps.store.getManyByHash(unique);
    const byHash = new Map(unique.map((hash, i) => [hash, records[i] ?? null]));
    return tokens.map((token) => {
      const hash = hashes.get(token);
      return hash === undefined ? null : (byHash.get(hash) ?? null);
    });
  }

  /**
   * Reports tokens found in public; `accept` limits which keys the reporter may report (a tenant's
   * own). Answers one verdict per token, in order, once every confirmed leak is durable.
   */
  async reportTokens(
    findings: ReadonlyArray<LeakFinding & { token: string }>,
    reporter: string,
    accept: (key: KeyRecord) => boolean = () => true,
  ): Promise<LeakVerdict[]> {
    const records = await this.lookup(findings.map((f) => f.token));
    const live: Array<{ key: KeyRecord; finding: LeakFinding }> = [];
    records.forEach((key, i) => {
      const finding = findings[i];
      if (key && finding && accept(key) && this.isLive(key)) live.push({ key, finding });
    });
    const leaks = await this.confirm(live, reporter);
    return records.map((key) => {
      const leakId = key ? leaks.get(key.id) : undefined;
      return leakId && key
        ? { label: 'true_positive', key_id: key.id, leak_id: leakId }
        : { label: 'false_positive', key_id: null, leak_id: null };
    });
  }

  /** Reports a known key (by id) found in public. */
  async reportKey(key: KeyRecord, finding: LeakFinding, reporter: string): Promise<LeakVerdict> {
    if (!this.isLive(key)) return { label: 'false_positive', key_id: key.id, leak_id: null };
    const leaks = await this.confirm([{ key, finding }], reporter);
    return { label: 'true_positive', key_id: key.id, leak_id: leaks.get(key.id) ?? null };
  }

  /** Claims, audits and publishes each key's leak once; returns the leak id per key id. */
  private async confirm(
    found: ReadonlyArray<{ key: KeyRecord; finding: LeakFinding }>,
    reporter: string,
  ): Promise<Map<string, string>> {
    const byKey = new Map<string, { key: KeyRecord; finding: LeakFinding }>();
    for (const item of found) if (!byKey.has(item.key.id)) byKey.set(item.key.id, item);
    const items = [...byKey.values()];
    const out = new Map<string, string>();
    if (items.length === 0) return out;
    const { redis } = this.deps;
    const now = this.now();

    const fresh = items.map(({ key }) => {
      const leakId = `leak_${newEventId(now.getTime())}`;
      const claim: Claim = {
        leak_id: leakId,
        alert_id: alertIdFor(`key_leaked:${key.id}`),
        trigger_id: `trg_${leakId}`,
        at: now.getTime(),
        done: false,
      };
      return claim;
    });
    const setting = redis.pipeline();
    items.forEach(({ key }, i) => setting.set(claimKey(key.id), JSON.stringify(fresh[i]), 'EX', CLAIM_TTL_S, 'NX'));
    const setResults = (await setting.exec()) ?? [];
    const lost = items.filter((_, i) => setResults[i]?.[1] !== 'OK');
    const existing = new Map<string, Claim | null>();
    if (lost.length > 0) {
      const values = await redis.mget(...lost.map(({ key }) => claimKey(key.id)));
      lost.forEach(({ key }, i) => existing.set(key.id, parseClaim(values[i] ?? null)));
    }

    // What to publish now: our new claims, and claims a failed or crashed report left unfinished.
    const publish: Array<{ key: KeyRecord; finding: LeakFinding; claim: Claim; repeat: boolean }> = [];
    const repeats: Array<{ key: KeyRecord; finding: LeakFinding; claim: Claim }> = [];
    items.forEach(({ key, finding }, i) => {
      const mine = setResults[i]?.[1] === 'OK';
      const claim = mine ? fresh[i] : existing.get(key.id);
      if (!claim) return; // expired between SET and GET: the next report claims it
      out.set(key.id, claim.leak_id);
      if (mine) publish.push({ key, finding, claim, repeat: false });
      else if (!claim.done && now.getTime() - claim.at > STALE_CLAIM_MS)
        publish.push({ key, finding, claim, repeat: true });
      else repeats.push({ key, finding, claim });
    });

    await Promise.all(
      repeats.map(({ key, finding, claim }) =>
        this.deps.store.recordAudit(
          {
            tenant_id: key.tenant_id,
            key_id: key.id,
            actor: reporter,
            action: 'leak_reported_again',
            reason: `already reported as ${claim.leak_id}${claim.done ? '' : ' (being handled)'}; no new alert or action`,
            details: { leak_id: claim.leak_id, alert_id: claim.alert_id, ...findingDetails(finding, reporter) },
          },
          now,
        ),
      ),
    );
    if (publish.length === 0) return out;

    try {
      const lastUse = await this.lastUses(publish.map((p) => p.key));
      const alerts: Alert[] = [];
      const triggers: RevocationTrigger[] = [];
      for (const { key, finding, claim } of publish) {
        alerts.push(leakAlert(key, finding, reporter, claim, now, lastUse.get(key.id) ?? null));
        triggers.push({
          v: 1,
          trigger_id: claim.trigger_id,
          ts: toEventTime(now),
          tenant_id: key.tenant_id,
          key_id: key.id,
          alert_id: claim.alert_id,
          reason: 'key_leaked',
          requested_action: 'revoke',
        });
      }
      // Audited before the trigger is published, so the audit log reads report → decision.
      await Promise.all(
        publish.map(({ key, finding, claim, repeat }) =>
          this.deps.store.recordAudit(
            {
              tenant_id: key.tenant_id,
              key_id: key.id,
              actor: reporter,
              action: 'leak_reported',
              reason: `found in public (${finding.source}${finding.url ? `: ${finding.url}` : ''}); key_leaked alert raised, revocation requested`,
              details: {
                leak_id: claim.leak_id,
                alert_id: claim.alert_id,
                trigger_id: claim.trigger_id,
                ...(repeat ? { resumed: true } : {}),
                ...findingDetails(finding, reporter),
              },
            },
            now,
          ),
        ),
      );
      await this.deps.alerts.publish(alerts, triggers);
    } catch (error) {
      // Released, so the reporter's retry (GitHub retries on 5xx) redoes it with the same ids.
      const releasing = redis.pipeline();
      for (const { key } of publish) releasing.del(claimKey(key.id));
      await releasing.exec().catch(() => undefined);
      throw error;
    }
    const marking = redis.pipeline();
    for (const { key, claim } of publish)
      marking.set(claimKey(key.id), JSON.stringify({ ...claim, done: true }), 'KEEPTTL', 'XX');
    await marking.exec();
    this.deps.logger.info(
      {
        leaks: publish.map(({ key, claim }) => ({ key_id: key.id, tenant_id: key.tenant_id, leak_id: claim.leak_id })),
      },
      'leaked keys reported',
    );
    return out;
  }

  private async lastUses(keys: readonly KeyRecord[]): Promise<Map<string, LastUse>> {
    const lookup = this.deps.lastUse;
    if (!lookup) return new Map();
    let timer: NodeJS.Timeout | undefined;
    try {
      // Evidence is nice to have; the alert and the revocation must not wait for a slow ClickHouse.
      return await Promise.race([
        lookup(keys),
        new Promise<Map<string, LastUse>>((resolve) => {
          timer = setTimeout(() => {
            this.deps.logger.warn({ budget_ms: LAST_USE_BUDGET_MS }, 'last-use lookup too slow; alert without last_ip');
            resolve(new Map());
          }, LAST_USE_BUDGET_MS);
        }),
      ]);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'last-use lookup failed; alert without last_ip');
      return new Map();
    } finally {
      clearTimeout(timer);
    }
  }
}

function findingDetails(finding: LeakFinding, reporter: string): Record<string, string> {
  return {
    source: finding.source,
    url: finding.url,
    reporter,
    ...(finding.type ? { token_type: finding.type } : {}),
    ...(finding.note ? { note: finding.note } : {}),
  };
}

function parseClaim(text: string | null): Claim | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<Claim>;
    if (typeof value.leak_id === 'string' && typeof value.alert_id === 'string' && typeof value.trigger_id === 'string')
      return {
        leak_id: value.leak_id,
        alert_id: value.alert_id,
        trigger_id: value.trigger_id,
        at: typeof value.at === 'number' ? value.at : 0,
        done: value.done === true,
      };
  } catch {
    // a corrupt claim is treated as absent
  }
  return null;
}

function leakAlert(
  key: KeyRecord,
  finding: LeakFinding,
  reporter: string,
  claim: Claim,
  now: Date,
  lastUse: LastUse | null,
): Alert {
  const at = toEventTime(now);
  const where = finding.url ? `${finding.source} at ${finding.url}` : finding.source;
  return {
    v: 1,
    alert_id: claim.alert_id,
    type: 'key_leaked',
    severity: 'critical',
    tenant_id: key.tenant_id,
    key_id: key.id,
    ip: null,
    window_start: at,
    window_end: at,
    detected_at: at,
    summary: `${key.type === 'secret' ? 'Secret' : 'Publishable'} key ${key.prefix}…${key.last4} ("${key.name}") was found in public (${where}), reported by ${reporter}.`,
    evidence: {
      source: finding.source,
      url: finding.url || null,
      reporter,
      last_used_at: key.last_used_at,
      last_ip: lastUse?.ip ?? null,
      last_ip_seen_at: lastUse?.ts ?? null,
      leak_id: claim.leak_id,
      key_type: key.type,
      environment: key.environment,
      ...(finding.type ? { token_type: finding.type } : {}),
      ...(finding.note ? { note: finding.note } : {}),
    },
    dedup_key: `key_leaked:${key.id}`,
    action: 'revoke_requested',
  };
}
