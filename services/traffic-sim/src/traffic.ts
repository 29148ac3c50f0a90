import { generateKey } from '@keywatch/contracts';
import type { Logger } from '@keywatch/logger';
import { countryPools } from './geo.js';
import type { KeyServiceClient, SimKey } from './keys-client.js';
import { diurnalFactor, pick, seeded, weighted, type Random } from './random.js';

/** The attack scenarios that can be switched on. */
export const ATTACKS = [
  'enumeration',
  'brute_force',
  'secret_in_browser',
  'impossible_travel',
  'revoked_key',
  'rate_limit',
  'volume_spike',
] as const;
export type Attack = (typeof ATTACKS)[number];

/** Options of {@link runHttpSimulation}. */
export interface HttpSimulationOptions {
  gatewayUrl: string;
  keys: KeyServiceClient;
  logger: Logger;
  /** Environment of the keys to create: must be the gateway's. Default `live`. */
  environment?: 'dev' | 'live';
  /** Default 5. */
  tenants?: number;
  /** Normal keys per tenant (default 3; plus one publishable key each). */
  keysPerTenant?: number;
  /** Normal requests per second at the daily peak (default 50). */
  rps?: number;
  durationMs: number;
  attacks?: readonly Attack[];
  /** Length of a simulated day, for the diurnal curve (default 24 h; e.g. 10 min for demos). */
  dayLengthMs?: number;
  /** Default 1. */
  seed?: number;
  /** Requests in flight at most (default 256); beyond, a tick's requests are skipped (counted). */
  maxInFlight?: number;
  /**
   * When each attack is on, in ms from the start (e.g. {@link sequentialSchedule}); default: every
   * attack of `attacks` for the whole run. Attacks named here are switched on even if not in `attacks`.
   */
  schedule?: readonly AttackWindow[];
  /** Called when a scheduled attack switches on or off. */
  onPhase?: (attack: Attack, on: boolean) => void;
  /** Called every second with the report so far (for live progress). */
  onProgress?: (report: SimulationReport, elapsedMs: number) => void;
  /** Stops the run early (the report covers what was sent). */
  signal?: AbortSignal;
  /**
   * A second way in that takes `share` (0–1) of every kind of request, picked at random (e.g. nginx
   * with `auth_request` in front of the auth server); its requests are also counted in `report.via`.
   */
  via?: { url: string; share: number };
}

/** One attack's time on: `[startMs, endMs)` from the start of the run. */
export interface AttackWindow {
  attack: Attack;
  startMs: number;
  endMs: number;
}

/**
 * The attacks one after another: `warmupMs` of normal traffic first (so keys learn their usual
 * countries), then the rest of `durationMs` split evenly between the attacks, in the order given.
 */
export function sequentialSchedule(attacks: readonly Attack[], durationMs: number, warmupMs: number): AttackWindow[] {
  if (attacks.length === 0) return [];
  const start = Math.min(warmupMs, durationMs);
  const slot = (durationMs - start) / attacks.length;
  return attacks.map((attack, i) => ({
    attack,
    startMs: Math.round(start + i * slot),
    endMs: Math.round(start + (i + 1) * slot),
  }));
}

/** What the run did: requests by scenario and by status. */
export interface SimulationReport {
  sent: number;
  skipped: number;
  failed: number;
  byStatus: Record<string, number>;
  byScenario: Record<string, number>;
  /** The requests sent through `options.via` (also counted above). */
  via?: { sent: number; failed: number; byStatus: Record<string, number> };
}

interface Planned {
  scenario: string;
  method: 'GET' | 'POST';
  path: string;
  key: string | null;
  ip: string;
  origin?: string;
  userAgent: string;
  body?: string;
}

interface Persona {
  key: SimKey;
  /** The key's usual countries' addresses. */
  ips: string[];
  weight: number;
}

const COUNTRIES = ['US', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'AU', 'CA', 'NL'];
const SERVER_AGENTS = ['node-fetch/3', 'python-requests/2.32', 'Go-http-client/2.0', 'okhttp/4.12'];
const BROWSER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

/** A normal request of a persona: mostly reads, some writes, a few 4xx (missing customer, bad payment, missing scope). */
function normalRequest(random: Random, persona: Persona, scenario = 'normal'): Planned {
  const ip = pick(random, persona.ips);
  const base = { scenario, key: persona.key.secret, ip, userAgent: pick(random, SERVER_AGENTS) };
  if (persona.key.type === 'publishable')
    return {
      ...base,
      method: 'GET',
      path: '/v1/bundles',
      origin: 'https://shop.example.com',
      userAgent: BROWSER_AGENT,
    };
  const r = random();
  if (r < 0.3) return { ...base, method: 'GET', path: '/v1/subscriptions' };
  if (r < 0.55) return { ...base, method: 'GET', path: `/v1/customers/cus_${Math.floor(random() * 5000)}` };
  if (r < 0.6) return { ...base, method: 'GET', path: `/v1/customers/missing_${Math.floor(random() * 100)}` };
  if (r < 0.7) return { ...base, method: 'GET', path: '/v1/bundles' };
  if (r < 0.8)
    return { ...base, method: 'POST', path: '/v1/subscriptions', body: JSON.stringify({ bundle: 'bundle_pro' }) };
  if (r < 0.92)
    return {
      ...base,
      method: 'POST',
      path: '/v1/payments',
      body: JSON.stringify({ amount: 100 + Math.floor(random() * 10_000) }),
    };
  if (r < 0.95) return { ...base, method: 'POST', path: '/v1/payments', body: JSON.stringify({ amount: -1 }) };
  // A feature the key was not granted: insufficient_scope.
  return { ...base, method: 'GET', path: '/v1/analytics/summary' };
}

/** `ip` and its two neighbours in the same /24: a small server fleet in one place. */
function datacenter(ip: string): string[] {
  const parts = ip.split('.');
  const last = Number(parts[3]);
  return [0, 1, 2].map((d) => [...parts.slice(0, 3), String(1 + ((last - 1 + d) % 254))].join('.'));
}

/**
 * Creates tenants and keys through the key service, then sends traffic through the gateway for
 * `durationMs`: personas (secret keys: servers in one datacenter; publishable keys: browsers in
 * two countries; addresses from geoip-lite, sent as
 * `X-Forwarded-For`, so the gateway must trust it), Zipf-like activity, a diurnal rate, occasional
 * 4xx, and the switched-on attacks mixed in.
 */
export async function runHttpSimulation(options: HttpSimulationOptions): Promise<SimulationReport> {
  const random = seeded(options.seed ?? 1);
  const environment = options.environment ?? 'live';
  const attacks = new Set([...(options.attacks ?? []), ...(options.schedule ?? []).map((w) => w.attack)]);
  const schedule = options.schedule;
  /** Whether `attack` is on at `elapsed` ms. */
  const on = (attack: Attack, elapsed: number) =>
    attacks.has(attack) &&
    (!schedule || schedule.some((w) => w.attack === attack && elapsed >= w.startMs && elapsed < w.endMs));
  const phases = new Map<Attack, boolean>();
  const log = options.logger.child({ component: 'traffic-sim' });
  const pools = countryPools(COUNTRIES, 20, random);
  const countries = COUNTRIES.filter((c) => (pools.get(c)?.length ?? 0) > 0);
  if (countries.length < 2) throw new Error('geoip-lite yielded addresses for fewer than two countries');
  const ipsOf = (country: string) => pools.get(country) ?? [];

  const personas: Persona[] = [];
  const tenants = Array.from(
    { length: options.tenants ?? 5 },
    (_, i) => `tenant_sim_${String(i + 1).padStart(3, '0')}`,
  );
  for (const [t, tenant] of tenants.entries()) {
    for (let k = 0; k < (options.keysPerTenant ?? 3); k += 1) {
      const key = await options.keys.create({
        tenant_id: tenant,
        type: 'secret',
        environment,
        name: `backend ${k + 1}`,
        scopes: ['subscriptions:read', 'subscriptions:write', 'customers:read', 'payments:write', 'bundles:read'],
      });
      // A backend: a few servers in one datacenter (one /24, so one geoip location), so that its
      // normal traffic never looks like travel; the impossible_travel scenario moves it on purpose.
      personas.push({
        key,
        ips: datacenter(pick(random, ipsOf(pick(random, countries)))),
        weight: 1 / (t + 1) / (k + 1),
      });
    }
    const web = await options.keys.create({
      tenant_id: tenant,
      type: 'publishable',
      environment,
      name: 'storefront',
      allowed_origins: ['https://shop.example.com'],
    });
    personas.push({
      key: web,
      ips: [...ipsOf(pick(random, countries)), ...ipsOf(pick(random, countries))],
      weight: 0.5 / (t + 1),
    });
  }
  const victimTenant = tenants[0]!;
  const special: Partial<Record<Attack, SimKey[]>> = {};
  if (attacks.has('revoked_key')) {
    const key = await options.keys.create({
      tenant_id: victimTenant,
      type: 'secret',
      environment,
      name: 'leaked, revoked',
      scopes: ['subscriptions:read'],
    });
    await options.keys.transition(key.id, 'revoke');
    special.revoked_key = [key];
  }
  if (attacks.has('rate_limit'))
    special.rate_limit = [
      await options.keys.create({
        tenant_id: victimTenant,
        type: 'secret',
        environment,
        name: 'hammering',
        scopes: ['subscriptions:read'],
        rate_limit: { limit: 10, window_s: 10 },
      }),
    ];
  if (attacks.has('brute_force')) {
    const pinned = await options.keys.create({
      tenant_id: victimTenant,
      type: 'secret',
      environment,
      name: 'office only',
      scopes: ['subscriptions:read'],
      allowed_ips: [`${ipsOf(countries[0]!)[0]}/32`],
    });
    const disabled = await options.keys.create({
      tenant_id: victimTenant,
      type: 'secret',
      environment,
      name: 'disabled',
      scopes: ['subscriptions:read'],
    });
    await options.keys.transition(disabled.id, 'deactivate');
    special.brute_force = [pinned, disabled];
  }
  const attackerIp = pick(random, ipsOf(pick(random, countries)));
  const travel = [ipsOf(countries[0]!), ipsOf(countries[countries.length - 1]!)];
  log.info({ tenants: tenants.length, keys: personas.length, countries, attacks: [...attacks] }, 'simulation set up');

  const report: SimulationReport = { sent: 0, skipped: 0, failed: 0, byStatus: {}, byScenario: {} };
  const viaReport: NonNullable<SimulationReport['via']> = { sent: 0, failed: 0, byStatus: {} };
  const via = options.via && { url: options.via.url, share: options.via.share, report: (report.via = viaReport) };
  // Its own stream: the same seed plans the same requests with or without a second way in.
  const viaRandom = seeded((options.seed ?? 1) + 7919);
  const maxInFlight = options.maxInFlight ?? 256;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  function send(plan: Planned): void {
    if (inFlight >= maxInFlight) {
      report.skipped += 1;
      return;
    }
    inFlight += 1;
    report.sent += 1;
    report.byScenario[plan.scenario] = (report.byScenario[plan.scenario] ?? 0) + 1;
    const headers: Record<string, string> = { 'x-forwarded-for': plan.ip, 'user-agent': plan.userAgent };
    if (plan.key !== null) headers.authorization = `Bearer ${plan.key}`;
    if (plan.origin) headers.origin = plan.origin;
    if (plan.body) headers['content-type'] = 'application/json';
    const side = via && viaRandom() < via.share ? via.report : undefined;
    if (side) side.sent += 1;
    const base = side && via ? via.url : options.gatewayUrl;
    const request = fetch(new URL(plan.path, base), { method: plan.method, headers, body: plan.body })
      .then(async (response) => {
        await response.arrayBuffer();
        report.byStatus[response.status] = (report.byStatus[response.status] ?? 0) + 1;
        if (side) side.byStatus[response.status] = (side.byStatus[response.status] ?? 0) + 1;
      })
      .catch(() => {
        report.failed += 1;
        if (side) side.failed += 1;
      })
      .finally(() => {
        inFlight -= 1;
        pending.delete(request);
      });
    pending.add(request);
  }

  const tickMs = 100;
  const started = Date.now();
  const weights = personas.map((p) => p.weight);
  let carry = 0;
  let lastProgress = started;
  for (let tick = 0; Date.now() - started < options.durationMs && !options.signal?.aborted; tick += 1) {
    const elapsed = Date.now() - started;
    const perTick = attacksPerTick(tick);
    for (const attack of attacks) {
      const now = on(attack, elapsed);
      if ((phases.get(attack) ?? false) !== now) {
        phases.set(attack, now);
        options.onPhase?.(attack, now);
      }
    }
    if (options.onProgress && Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now();
      options.onProgress(report, elapsed);
    }
    carry += ((options.rps ?? 50) * diurnalFactor(Date.now(), options.dayLengthMs) * tickMs) / 1000;
    for (; carry >= 1; carry -= 1) send(normalRequest(random, personas[weighted(random, weights)]!));
    if (
      schedule
        ? on('volume_spike', elapsed)
        : attacks.has('volume_spike') && elapsed > options.durationMs / 3 && elapsed < (2 * options.durationMs) / 3
    ) {
      for (let i = 0; i < perTick(30); i += 1) send(normalRequest(random, personas[0]!, 'volume_spike'));
    }
    if (on('enumeration', elapsed)) {
      for (let i = 0; i < perTick(20); i += 1) {
        const guess = generateKey({ type: 'secret', environment });
        send({
          scenario: 'enumeration',
          method: 'GET',
          path: '/v1/subscriptions',
          key: random() < 0.2 ? guess.slice(0, -2) : guess,
          ip: attackerIp,
          userAgent: 'python-requests/2.32',
        });
      }
    }
    if (special.brute_force && on('brute_force', elapsed)) {
      for (let i = 0; i < perTick(15); i += 1) {
        send({
          scenario: 'brute_force',
          method: 'GET',
          path: '/v1/subscriptions',
          key: pick(random, special.brute_force).secret,
          ip: pick(random, ipsOf(pick(random, countries))),
          userAgent: 'curl/8.5',
        });
      }
    }
    if (on('secret_in_browser', elapsed)) {
      for (let i = 0; i < perTick(2); i += 1)
        send({
          ...normalRequest(random, personas[1] ?? personas[0]!, 'secret_in_browser'),
          method: 'GET',
          path: '/v1/subscriptions',
          body: undefined,
          origin: 'https://shop.example.com',
          userAgent: BROWSER_AGENT,
        });
    }
    if (on('impossible_travel', elapsed)) {
      // The same key from two continents, alternating every 2 s.
      const side = travel[Math.floor(elapsed / 2000) % 2]!;
      for (let i = 0; i < perTick(3); i += 1)
        send({ ...normalRequest(random, personas[0]!, 'impossible_travel'), ip: pick(random, side) });
    }
    if (special.revoked_key && on('revoked_key', elapsed)) {
      for (let i = 0; i < perTick(2); i += 1)
        send({
          scenario: 'revoked_key',
          method: 'GET',
          path: '/v1/subscriptions',
          key: special.revoked_key[0]!.secret,
          ip: attackerIp,
          userAgent: 'node-fetch/3',
        });
    }
    if (special.rate_limit && on('rate_limit', elapsed)) {
      for (let i = 0; i < perTick(20); i += 1)
        send({
          scenario: 'rate_limit',
          method: 'GET',
          path: '/v1/subscriptions',
          key: special.rate_limit[0]!.secret,
          ip: pick(random, personas[0]!.ips),
          userAgent: 'Go-http-client/2.0',
        });
    }
    const next = started + (tick + 1) * tickMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now())));
  }
  for (const [attack, active] of phases) if (active) options.onPhase?.(attack, false);
  await Promise.allSettled([...pending]);
  log.info({ report }, 'simulation finished');
  return report;

  /** Requests per tick for a rate per second, spreading fractions over ticks. */
  function attacksPerTick(tick: number): (perSecond: number) => number {
    return (perSecond) =>
      Math.floor(((tick + 1) * perSecond * tickMs) / 1000) - Math.floor((tick * perSecond * tickMs) / 1000);
  }
}
