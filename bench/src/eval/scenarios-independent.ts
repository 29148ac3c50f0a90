import { DAY, HOUR, MINUTE } from '@keywatch/detector-worker';
import { createHash } from 'node:crypto';
import type { AuthEvent, Outcome } from '@keywatch/contracts';
import { eventAt } from '@keywatch/detector-worker/testing';
import type { Scenario } from './scenarios.js';

// A second labelled set, written against the table and docs/contracts.md rather than against
// the detectors: other parameters, other places, other times of day, and the look-alikes real
// traffic has (carrier IPs that jump between cities, coarse country-level geolocation, a NAT that
// is attacked while its users work, a CI job with a dead key, a dashboard missing a scope). Every
// scenario has its own keys, tenant and source IPs, so the alerts of one cannot count for another.

/** Tuesday; the attacks happen on Monday two weeks later, in the afternoon. */
const START = Date.parse('2026-04-14T00:00:00.000Z');
const T = START + 13 * DAY + 14 * HOUR + 23 * MINUTE + 17_000;

const hex16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const keyId = (name: string) => `key_ind_${name}`.padEnd(28, '0');
const tenantId = (name: string) => `tenant_ind_${name}`;
/** A known key of its own tenant (or of `tenant`). */
const known = (name: string, tenant = name) => ({
  key_id: keyId(name),
  tenant_id: tenantId(tenant),
  key_fingerprint: hex16(`key:${name}`),
  environment: 'live' as const,
});
/** A presented credential the gateway does not know. */
const unknown = (label: string, outcome: Outcome = 'unknown_key') => ({
  key_id: null,
  tenant_id: null,
  key_type: 'secret' as const,
  environment: 'live' as const,
  key_fingerprint: hex16(`unknown:${label}`),
  outcome,
});
/** IP `n` of a /24 whose geolocation is known (see geo.test.ts). */
const ip = (prefix: string, n: number) => `${prefix}.${n}`;

/** `n` evenly spaced times in [from, from + spanMs). */
const spread = (from: number, spanMs: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + Math.floor((i * spanMs) / n));
/** Times every `stepMs` in [from, to). */
const every = (from: number, to: number, stepMs: number) =>
  Array.from({ length: Math.max(0, Math.ceil((to - from) / stepMs)) }, (_, i) => from + i * stepMs);
/** For each day in [fromDay, toDay), times every `stepMs` between hour `h0` and hour `h1` (UTC). */
function daily(fromDay: number, toDay: number, h0: number, h1: number, stepMs: number, weekdaysOnly = false): number[] {
  const out: number[] = [];
  for (let d = fromDay; d < toDay; d += 1) {
    const day = START + d * DAY;
    const weekday = new Date(day).getUTCDay();
    if (weekdaysOnly && (weekday === 0 || weekday === 6)) continue;
    out.push(...every(day + h0 * HOUR, day + h1 * HOUR, stepMs));
  }
  return out;
}
const at = (times: number[], make: (ts: number, i: number) => Partial<AuthEvent>) =>
  times.map((ts, i) => eventAt(ts, make(ts, i)));

/** The independent labelled set. */
export function independentScenarios(): Scenario[] {
  const s: Scenario[] = [];

  // ---- Attacks ----

  // Slow stuffing: 27 distinct keys once each over 14.5 min: never 10 in any 5 min, so only the
  // 15-minute rule can see it.
  const slowIp = ip('103.4.96', 21);
  s.push({
    name: 'credential stuffing, slow (27 keys once each over 14.5 min, < 10 per 5 min)',
    label: 'attack',
    expect: 'credential_stuffing',
    subject: slowIp,
    attackStart: T,
    events: at(spread(T, 14.5 * MINUTE, 27), (_, i) => ({
      ...unknown(`slow${i}`, i % 4 === 0 ? 'malformed_key' : 'unknown_key'),
      ip: slowIp,
    })),
  });

  // Stuffing whose source also has a stale client retrying one dead key every 20 s: 16 keys tried
  // twice each over 14 min, 6 or fewer in any 5 min.
  const noisyIp = ip('200.160.2', 31);
  s.push({
    name: 'credential stuffing behind a stale retrier (16 keys x2 in 14 min + one key every 20 s)',
    label: 'attack',
    expect: 'credential_stuffing',
    subject: noisyIp,
    attackStart: T,
    events: [
      ...at(
        spread(T, 14 * MINUTE, 16).flatMap((t) => [t, t + 30_000]),
        (_, i) => ({ ...unknown(`noisy${Math.floor(i / 2)}`), ip: noisyIp }),
      ),
      ...at(every(T - 30 * MINUTE, T + 40 * MINUTE, 20_000), () => ({ ...unknown('noisy-stale'), ip: noisyIp })),
    ],
  });

  // Stuffing through a campus NAT whose 25 users keep working (their side is the benign scenario
  // below): 60 distinct keys in 10 min, then a key never used from this NAT succeeds.
  const natIp = ip('62.75.128', 41);
  const natUsers = Array.from({ length: 25 }, (_, u) => `natuser${u}`);
  s.push({
    name: 'credential stuffing through a NAT with 25 working users, finds a key',
    label: 'attack',
    expect: 'credential_stuffing',
    subject: natIp,
    attackStart: T,
    events: [
      ...at(spread(T, 10 * MINUTE, 60), (_, i) => ({ ...unknown(`nat${i}`), ip: natIp })),
      ...at(daily(0, 13, 9, 17, 3 * HOUR), () => ({ ...known('natvictim'), ip: ip('212.58.244', 41) })),
      eventAt(T + 11 * MINUTE, { ...known('natvictim'), ip: natIp }),
    ],
    scope: { keys: [keyId('natvictim')], tenants: [tenantId('natvictim')], ips: [natIp] },
  });
  s.push({
    name: 'NAT users working while someone behind the same NAT stuffs keys',
    label: 'benign',
    subject: tenantId('campus'),
    events: natUsers.flatMap((u, n) =>
      at(
        daily(12, 14, 8, 20, 3 * MINUTE).map((t) => t + n * 7_000),
        () => ({ ...known(u, 'campus'), ip: natIp }),
      ),
    ),
    scope: { keys: natUsers.map(keyId), tenants: [tenantId('campus')], ips: [] },
  });

  // Brute force on one tenant spread over its 12 keys: 3 failures each from 6 IPs in 20 min,
  // never 20 on one key nor 10 from one IP.
  const acme = Array.from({ length: 12 }, (_, i) => `acme${i}`);
  s.push({
    name: 'brute force on one tenant spread across 12 keys from 6 IPs',
    label: 'attack',
    expect: 'failed_auth_spike',
    subject: tenantId('acme'),
    attackStart: T,
    events: [
      ...acme.flatMap((k, n) =>
        at(
          daily(0, 13, 9, 17, 2 * HOUR).map((t) => t + n * 60_000),
          () => ({ ...known(k, 'acme'), ip: ip('194.109.6', 51) }),
        ),
      ),
      ...at(spread(T, 20 * MINUTE, 36), (_, i) => ({
        ...known(acme[i % 12] ?? 'acme0', 'acme'),
        ip: ip('203.2.218', 51 + (i % 6)),
        outcome: i % 2 ? 'ip_not_allowed' : 'inactive_key',
      })),
    ],
  });

  // A stolen key presented from five IPs outside its allow-list.
  s.push({
    name: 'stolen key refused by its IP allow-list from 5 IPs (30 in 15 min)',
    label: 'attack',
    expect: 'failed_auth_spike',
    subject: keyId('allowlisted'),
    attackStart: T,
    events: [
      ...at(daily(0, 13, 6, 22, 30 * MINUTE), () => ({ ...known('allowlisted'), ip: ip('194.109.6', 61) })),
      ...at(spread(T, 15 * MINUTE, 30), (_, i) => ({
        ...known('allowlisted'),
        ip: ip('150.161.0', 61 + (i % 5)),
        outcome: 'ip_not_allowed',
      })),
    ],
  });

  // Real impossible travel: Berlin (5 km) to Tokyo (country-level, 1000 km) in two hours.
  s.push({
    name: 'impossible travel Berlin -> Tokyo in 2 h (Tokyo radius 1000 km)',
    label: 'attack',
    expect: 'impossible_travel',
    subject: keyId('berlin'),
    attackStart: T + 2 * HOUR,
    events: [
      ...at(daily(0, 13, 7, 19, 2 * HOUR), () => ({ ...known('berlin'), ip: ip('91.64.0', 71) })),
      eventAt(T, { ...known('berlin'), ip: ip('91.64.0', 71) }),
      eventAt(T + 2 * HOUR, { ...known('berlin'), ip: ip('27.0.0', 71) }),
    ],
  });
  // Coarse on both sides, still impossible: US centroid to Australia in an hour.
  s.push({
    name: 'impossible travel with 1000 km radii on both sides (US -> AU in 1 h)',
    label: 'attack',
    expect: 'impossible_travel',
    subject: keyId('coarse'),
    attackStart: T + HOUR,
    events: [
      ...at(daily(0, 13, 13, 23, 2 * HOUR), () => ({ ...known('coarse'), ip: ip('8.8.8', 91) })),
      eventAt(T, { ...known('coarse'), ip: ip('8.8.8', 91) }),
      eventAt(T + HOUR, { ...known('coarse'), ip: ip('1.1.1', 91) }),
    ],
  });

  // Learnt by time (14 days) with only six uses, then Recife.
  s.push({
    name: 'new country for a rarely used key (6 uses in 15 days, then Brazil)',
    label: 'attack',
    expect: 'geo_new_country',
    subject: keyId('rare'),
    attackStart: T,
    events: [
      ...at(spread(START - 2 * DAY, 15 * DAY, 6), () => ({ ...known('rare'), ip: ip('91.64.0', 111) })),
      eventAt(T, { ...known('rare'), ip: ip('150.161.0', 111) }),
    ],
  });

  // A secret key from a sandboxed iframe or a file:// page: Origin "null".
  s.push({
    name: 'secret key sent with Origin: null',
    label: 'attack',
    expect: 'secret_key_client_side',
    subject: keyId('nullorigin'),
    attackStart: T,
    events: [
      ...at(daily(0, 13, 9, 17, HOUR), () => ({ ...known('nullorigin'), ip: ip('85.214.132', 121) })),
      eventAt(T, { ...known('nullorigin'), ip: ip('85.214.132', 122), origin: 'null', user_agent: 'Mozilla/5.0' }),
    ],
  });

  // A revoked key used six times in 40 minutes from one IP it never used before.
  s.push({
    name: 'revoked key used repeatedly (6 times in 40 min, one new IP)',
    label: 'attack',
    expect: 'revoked_key_in_use',
    subject: keyId('revoked'),
    attackStart: T,
    events: [
      ...at(daily(0, 10, 9, 17, HOUR), () => ({ ...known('revoked'), ip: ip('88.198.0', 131) })),
      ...at(spread(T, 40 * MINUTE, 6), () => ({
        ...known('revoked'),
        ip: ip('216.58.214', 131),
        outcome: 'revoked_key',
      })),
    ],
  });

  // Hammering for 11 minutes: 40 requests a minute, 25 of them refused.
  s.push({
    name: 'rate-limit hammering over two consecutive windows (11 min)',
    label: 'attack',
    expect: 'rate_limit_violation',
    subject: keyId('hammer'),
    attackStart: T,
    events: [
      ...at(daily(10, 13, 8, 20, 2 * MINUTE), () => ({ ...known('hammer'), ip: ip('24.1.1', 141) })),
      ...at(spread(T, 11 * MINUTE, 11 * 40), (_, i) => ({
        ...known('hammer'),
        ip: ip('24.1.1', 141),
        outcome: i % 8 < 5 ? 'rate_limited' : 'allowed',
        rate_limit: { limit: 15, remaining: 0, window_s: 60 },
      })),
    ],
  });

  // Eight days of a diurnal key (10 to 70 an hour, weekends too), then a scrape of 1500 in 50 min.
  const diurnal = (d0: number, d1: number) => {
    const times: number[] = [];
    for (let h = d0 * 24; h < d1 * 24; h += 1) {
      const n = Math.round(40 + 30 * Math.sin(((h % 24) - 8) * (Math.PI / 12)));
      times.push(...spread(START + h * HOUR, HOUR, n));
    }
    return times;
  };
  s.push({
    name: 'usage spike after 8 days of diurnal history (1500 in 50 min)',
    label: 'attack',
    expect: 'usage_spike',
    subject: keyId('scraped'),
    attackStart: T,
    events: [
      ...at(diurnal(5, 13).concat(every(START + 13 * DAY, T, 90_000)), () => ({
        ...known('scraped'),
        ip: ip('88.198.0', 151),
      })),
      ...at(spread(T, 50 * MINUTE, 1500), () => ({ ...known('scraped'), ip: ip('88.198.0', 152) })),
    ],
  });

  // ---- Benign look-alikes ----

  // Home in Brandenburg, office in Amsterdam or a client in Charleville on alternate days; 25 min
  // between the last use at home and the first at work (the geolocation of home is 100 km wide).
  s.push({
    name: 'commuter DE <-> NL / FR every day',
    label: 'benign',
    subject: keyId('commuter'),
    events: Array.from({ length: 14 }, (_, d) => {
      const day = START + d * DAY;
      const work = d % 2 === 0 ? ip('31.151.0', 91) : ip('93.0.0', 91);
      const home = ip('178.0.0', 91);
      return [
        eventAt(day + 7 * HOUR + 45 * MINUTE, { ...known('commuter'), ip: home }),
        eventAt(day + 8 * HOUR + 10 * MINUTE, { ...known('commuter'), ip: work }),
        eventAt(day + 12 * HOUR, { ...known('commuter'), ip: work }),
        eventAt(day + 16 * HOUR + 30 * MINUTE, { ...known('commuter'), ip: work }),
        eventAt(day + 16 * HOUR + 55 * MINUTE, { ...known('commuter'), ip: home }),
        eventAt(day + 21 * HOUR, { ...known('commuter'), ip: home }),
      ].filter((e) => Date.parse(e.ts) < T + 3 * HOUR);
    }).flat(),
  });

  // A phone whose carrier hands out IPs geolocated in Berlin, Hamburg, Brandenburg or just "DE",
  // switching every few minutes; new carrier ranges from day 10.
  const carriers = [ip('91.64.0', 92), ip('77.0.0', 92), ip('5.5.5', 92), ip('178.0.0', 92)];
  const newCarriers = [ip('217.0.0', 92), ip('91.64.0', 93), ip('77.0.0', 93)];
  s.push({
    name: 'mobile user hopping between carrier IPs in one country (new ranges from day 10)',
    label: 'benign',
    subject: keyId('mobile'),
    events: at(
      daily(0, 14, 7, 23, 4 * MINUTE).filter((t) => t < T + 3 * HOUR),
      (t, i) => ({
        ...known('mobile'),
        ip: t < START + 10 * DAY ? (carriers[i % 4] ?? '') : (newCarriers[i % 3] ?? ''),
      }),
    ),
  });

  // One key on servers in Seattle, Berlin and Tokyo, every 2 minutes round the clock.
  const fleet = [ip('13.32.0', 93), ip('13.32.0', 94), ip('91.64.0', 94), ip('27.0.0', 93)];
  s.push({
    name: 'server fleet in three regions (US, DE, JP) every 2 min',
    label: 'benign',
    subject: keyId('fleet'),
    events: at(every(START, T + 3 * HOUR, 2 * MINUTE), (_, i) => ({ ...known('fleet'), ip: fleet[i % 4] ?? '' })),
  });

  // One US company whose IPs geolocate only to "US" or to a city with a 1000 km radius.
  const coarse = [ip('8.8.8', 111), ip('52.95.0', 111), ip('13.32.0', 111)];
  s.push({
    name: 'US company behind coarse geolocation (three 1000 km circles), every 7 min',
    label: 'benign',
    subject: keyId('uscoarse'),
    events: at(
      daily(0, 14, 12, 24, 7 * MINUTE).filter((t) => t < T + 3 * HOUR),
      (_, i) => ({ ...known('uscoarse'), ip: coarse[i % 3] ?? '' }),
    ),
  });

  // A university NAT: 60 students' keys, plus 12 mistyped keys in 4 minutes on Monday morning.
  const uniIp = ip('176.128.0', 101);
  s.push({
    name: 'university NAT with 60 users and 12 mistyped keys in 4 min',
    label: 'benign',
    subject: uniIp,
    events: [
      ...Array.from({ length: 60 }, (_, u) =>
        at(
          daily(11, 14, 8, 18, 5 * MINUTE, true)
            .map((t) => t + u * 4_000)
            .filter((t) => t < T + 3 * HOUR),
          () => ({ ...known(`student${u}`, 'uni'), ip: uniIp }),
        ),
      ).flat(),
      ...at(spread(START + 13 * DAY + 10 * HOUR, 4 * MINUTE, 12), (_, i) => ({
        ...unknown(`typo${i}`, i % 3 ? 'unknown_key' : 'malformed_key'),
        ip: uniIp,
      })),
    ],
  });

  // 120 requests an hour in office hours; Monday mornings twice that.
  s.push({
    name: 'traffic doubles on Monday morning (120/h -> 240/h)',
    label: 'benign',
    subject: keyId('monday'),
    events: daily(0, 14, 8, 18, HOUR, true)
      .filter((h) => h < T + 3 * HOUR)
      .flatMap((h) => {
        const monday = new Date(h).getUTCDay() === 1 && new Date(h).getUTCHours() < 12;
        return at(spread(h, HOUR, monday ? 240 : 120), () => ({ ...known('monday'), ip: ip('84.0.0', 181) }));
      }),
  });

  // CI jobs with dead keys retried every minute for three days: at most one low item each.
  for (const [name, outcome] of [
    ['cirevoked', 'revoked_key'],
    ['ciexpired', 'expired_key'],
    ['cideactivated', 'inactive_key'],
  ] as const) {
    s.push({
      name: `CI retrying a ${outcome.replace('_key', '')} key every minute for 3 days`,
      label: 'benign',
      subject: keyId(name),
      tolerate: { maxSeverity: 'low', count: 1 },
      events: [
        ...at(daily(0, 10, 0, 24, 30 * MINUTE), () => ({ ...known(name), ip: ip('87.0.0', 181) })),
        ...at(every(START + 10 * DAY, T + 3 * HOUR, MINUTE), () => ({
          ...known(name),
          ip: ip('87.0.0', 181),
          outcome,
        })),
      ],
    });
  }

  // A key that lacks one scope: a few 403s an hour from three office IPs, among its normal traffic.
  const offices = [ip('95.0.0', 181), ip('95.0.0', 182), ip('95.0.0', 183)];
  s.push({
    name: 'legit key with a few insufficient_scope 403s an hour from 3 office IPs',
    label: 'benign',
    subject: keyId('scope'),
    events: [
      ...at(
        daily(0, 14, 8, 18, MINUTE, true).filter((t) => t < T + 3 * HOUR),
        (_, i) => ({ ...known('scope'), ip: offices[i % 3] ?? '' }),
      ),
      ...at(
        daily(0, 14, 8, 18, 13 * MINUTE, true).filter((t) => t < T + 3 * HOUR),
        (_, i) => ({
          ...known('scope'),
          ip: offices[i % 3] ?? '',
          outcome: 'insufficient_scope',
          scope: 'payments:write',
          route: '/v1/payments',
        }),
      ),
    ],
  });
  const dashOffices = [ip('95.0.0', 191), ip('95.0.0', 192), ip('95.0.0', 193)];
  // The same on a busier day: a dashboard deployed this morning polls a route it lacks the scope
  // for once a minute from each office (90 in 30 min): one low item at most.
  s.push({
    name: 'dashboard missing a scope polls from 3 office IPs (3 x 403/min since this morning)',
    label: 'benign',
    subject: keyId('dashboard'),
    tolerate: { maxSeverity: 'low', count: 1 },
    events: [
      ...at(
        daily(0, 14, 8, 18, 2 * MINUTE, true).filter((t) => t < T + 3 * HOUR),
        (_, i) => ({ ...known('dashboard'), ip: dashOffices[i % 3] ?? '' }),
      ),
      ...at(every(START + 13 * DAY + 9 * HOUR, T + 3 * HOUR, 20_000), (_, i) => ({
        ...known('dashboard'),
        ip: dashOffices[i % 3] ?? '',
        outcome: 'insufficient_scope',
        scope: 'analytics:read',
        route: '/v1/analytics',
      })),
    ],
  });

  // A publishable key in a web shop's pages, used by shoppers in twelve countries.
  const shoppers = [
    '91.64.0.201',
    '31.151.0.201',
    '93.0.0.201',
    '81.0.0.201',
    '87.0.0.201',
    '212.58.244.201',
    '8.8.8.201',
    '27.0.0.201',
    '1.1.1.201',
    '150.161.0.201',
    '41.0.0.201',
    '95.0.0.201',
  ];
  s.push({
    name: 'publishable key from browsers in 12 countries',
    label: 'benign',
    subject: keyId('shop'),
    events: at(every(START, T + 3 * HOUR, 4 * MINUTE), (_, i) => ({
      ...known('shop'),
      key_type: 'publishable',
      origin: 'https://shop.example',
      scope: 'bundles:read',
      route: '/v1/bundles',
      ip: shoppers[(i * 7) % 12] ?? '',
    })),
  });

  // One burst of refusals (3 minutes across a 5-minute boundary), then calm.
  const burstAt = START + 13 * DAY + 10 * HOUR + 3 * MINUTE + 30_000;
  s.push({
    name: 'one 3-minute burst against the rate limit across a window boundary',
    label: 'benign',
    subject: keyId('burst'),
    events: [
      ...at(
        daily(10, 14, 8, 18, 15_000).filter((t) => t < T + 3 * HOUR && (t < burstAt || t >= burstAt + 3 * MINUTE)),
        () => ({ ...known('burst'), ip: ip('41.0.0', 181) }),
      ),
      ...at(spread(burstAt, 3 * MINUTE, 450), (_, i) => ({
        ...known('burst'),
        ip: ip('41.0.0', 181),
        outcome: i % 5 < 3 ? 'rate_limited' : 'allowed',
        rate_limit: { limit: 60, remaining: 0, window_s: 60 },
      })),
    ],
  });

  // A revoked key that a forgotten cron job presents once a day.
  s.push({
    name: 'revoked key presented once a day by a forgotten cron job',
    label: 'benign',
    subject: keyId('cron'),
    events: [
      ...at(daily(0, 9, 3, 4, HOUR), () => ({ ...known('cron'), ip: ip('49.0.0', 181) })),
      ...at(daily(9, 14, 3, 4, HOUR), () => ({ ...known('cron'), ip: ip('49.0.0', 181), outcome: 'revoked_key' })),
    ],
  });

  return s.map((scenario) => ({ ...scenario, scope: scenario.scope ?? scopeOf(scenario.events) }));
}

/** Every key, tenant and source IP the events name. */
function scopeOf(events: readonly AuthEvent[]): NonNullable<Scenario['scope']> {
  const set = (pick: (e: AuthEvent) => string | null) => [
    ...new Set(events.map(pick).filter((x): x is string => x !== null)),
  ];
  return { keys: set((e) => e.key_id), tenants: set((e) => e.tenant_id), ips: set((e) => e.ip) };
}
