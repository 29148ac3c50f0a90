import { DAY, HOUR, MINUTE } from '@keywatch/detector-worker';
import type { AuthEvent } from '@keywatch/contracts';
import type { Scenario } from './scenario.js';
import { IPS, eventAt, fingerprint } from '@keywatch/detector-worker/testing';
import { feedbackScenarios } from './scenarios-feedback.js';

export type { Scenario } from './scenario.js';

const key = (name: string) => `key_eval_${name}`.padEnd(28, '0');
const tenant = (name: string) => `tenant_eval_${name}`;
const known = (name: string) => ({
  key_id: key(name),
  tenant_id: tenant(name),
  key_fingerprint: fingerprint(name.split('').reduce((a, c) => a * 31 + c.charCodeAt(0), 7) % 2 ** 40),
});

/** `n` evenly spaced times in [from, from + spanMs). */
const spread = (from: number, spanMs: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + Math.floor((i * spanMs) / n));

/** Business-hours traffic over `days`: `perHour` requests an hour from 08:00 to 18:00 UTC on weekdays. */
function officeHours(
  start: number,
  days: number,
  perHour: number,
  make: (at: number) => AuthEvent,
  mondayFactor = 1,
): AuthEvent[] {
  const events: AuthEvent[] = [];
  for (let d = 0; d < days; d += 1) {
    const day = start + d * DAY;
    const weekday = new Date(day).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (let h = 8; h < 18; h += 1) {
      const n = weekday === 1 && h < 12 ? perHour * mondayFactor : perHour;
      for (const at of spread(day + h * HOUR, HOUR, n)) events.push(make(at));
    }
  }
  return events;
}

/**
 * The labelled week: benign look-alikes running for `start .. start + 7 days`, attacks on day 7
 * after every key is past its learning period. `start` should be a Monday 00:00 UTC.
 */
export function evaluationScenarios(start = Date.parse('2026-03-02T00:00:00.000Z')): Scenario[] {
  const day7 = start + 7 * DAY + 10 * HOUR + 7 * MINUTE;
  const s: Scenario[] = [];
  const history = (name: string, ip: string, days = 8, perDay = 6) =>
    Array.from({ length: days * perDay }, (_, i) =>
      eventAt(start + Math.floor((i * days * DAY) / (days * perDay)) - DAY, { ...known(name), ip }),
    );

  // Attacks.
  s.push({
    name: 'credential stuffing, fast (12 keys in 2 min)',
    label: 'attack',
    expect: 'credential_stuffing',
    subject: IPS.saoPaulo,
    attackStart: day7,
    events: spread(day7, 2 * MINUTE, 12).map((at, i) =>
      eventAt(at, {
        key_id: null,
        tenant_id: null,
        ip: IPS.saoPaulo,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(10_000 + i),
      }),
    ),
  });
  s.push({
    name: 'credential stuffing, low and slow (30 keys in 12 min, each once)',
    label: 'attack',
    expect: 'credential_stuffing',
    subject: IPS.singapore,
    attackStart: day7,
    events: spread(day7, 12 * MINUTE, 30).map((at, i) =>
      eventAt(at, {
        key_id: null,
        tenant_id: null,
        ip: IPS.singapore,
        outcome: i % 3 === 0 ? 'malformed_key' : 'unknown_key',
        key_fingerprint: fingerprint(20_000 + i),
      }),
    ),
  });
  s.push({
    name: 'credential stuffing that finds a key',
    label: 'attack',
    expect: 'credential_stuffing',
    subject: key('found'),
    attackStart: day7,
    events: [
      ...history('found', IPS.berlin),
      ...spread(day7, 3 * MINUTE, 15).map((at, i) =>
        eventAt(at, {
          key_id: null,
          tenant_id: null,
          ip: IPS.mountainView,
          outcome: 'unknown_key',
          key_fingerprint: fingerprint(30_000 + i),
        }),
      ),
      eventAt(day7 + 4 * MINUTE, { ...known('found'), ip: IPS.mountainView }),
    ],
  });
  s.push({
    name: 'secret key in a browser',
    label: 'attack',
    expect: 'secret_key_client_side',
    subject: key('browser'),
    attackStart: day7,
    events: [
      ...history('browser', IPS.london),
      eventAt(day7, { ...known('browser'), ip: IPS.london, key_type: 'secret', origin: 'https://shop.example' }),
    ],
  });
  s.push({
    name: "revoked key in someone else's hands",
    label: 'attack',
    expect: 'revoked_key_in_use',
    subject: key('leaked'),
    attackStart: day7,
    events: spread(day7, 20 * MINUTE, 5).map((at, i) =>
      eventAt(at, { ...known('leaked'), ip: i % 2 ? IPS.sydney : IPS.saoPaulo, outcome: 'revoked_key' }),
    ),
  });
  s.push({
    name: 'key hammering its rate limit',
    label: 'attack',
    expect: 'rate_limit_violation',
    subject: key('hammer'),
    attackStart: day7,
    events: spread(day7, 12 * MINUTE, 600).map((at, i) =>
      eventAt(at, {
        ...known('hammer'),
        outcome: i % 3 === 0 ? 'allowed' : 'rate_limited',
        rate_limit: { limit: 100, remaining: 0, window_s: 60 },
      }),
    ),
  });
  s.push({
    name: 'failed authentication spike on a key',
    label: 'attack',
    expect: 'failed_auth_spike',
    subject: key('probed'),
    attackStart: day7,
    events: [
      ...history('probed', IPS.amsterdam),
      ...spread(day7, 20 * MINUTE, 40).map((at, i) =>
        eventAt(at, {
          ...known('probed'),
          ip: [IPS.sydney, IPS.saoPaulo, IPS.singapore, IPS.london][i % 4],
          outcome: i % 2 ? 'ip_not_allowed' : 'insufficient_scope',
        }),
      ),
    ],
  });
  s.push({
    name: 'impossible travel Berlin → Sydney',
    label: 'attack',
    expect: 'impossible_travel',
    subject: key('traveller'),
    attackStart: day7 + 45 * MINUTE,
    events: [
      ...history('traveller', IPS.berlin),
      eventAt(day7, { ...known('traveller'), ip: IPS.berlin }),
      eventAt(day7 + 45 * MINUTE, { ...known('traveller'), ip: IPS.sydney }),
    ],
  });
  s.push({
    name: 'use from a new country (slowly)',
    label: 'attack',
    expect: 'geo_new_country',
    subject: key('emigrant'),
    attackStart: day7 + 12 * HOUR,
    events: [
      ...history('emigrant', IPS.berlin),
      eventAt(day7, { ...known('emigrant'), ip: IPS.berlin }),
      eventAt(day7 + 12 * HOUR, { ...known('emigrant'), ip: IPS.recife }),
    ],
  });
  s.push({
    name: 'usage spike on a quiet key',
    label: 'attack',
    expect: 'usage_spike',
    subject: key('spiking'),
    attackStart: day7,
    events: [
      ...officeHours(start, 7, 20, (at) => eventAt(at, { ...known('spiking') })),
      ...spread(day7, HOUR, 600).map((at) => eventAt(at, { ...known('spiking') })),
    ],
  });

  // Benign look-alikes.
  s.push({
    name: 'commuter between bordering countries (DE ⇄ CH)',
    label: 'benign',
    subject: key('commuter'),
    events: Array.from({ length: 8 * 4 }, (_, i) => {
      const d = Math.floor(i / 4);
      const at = start + d * DAY + [7 * HOUR, 8 * HOUR + 20 * MINUTE, 17 * HOUR, 18 * HOUR + 20 * MINUTE][i % 4]!;
      return eventAt(at, { ...known('commuter'), ip: i % 4 === 1 || i % 4 === 2 ? IPS.zurich : IPS.nuremberg });
    }),
  });
  s.push({
    name: 'mobile user on a new network (same country)',
    label: 'benign',
    subject: key('mobile'),
    events: Array.from({ length: 8 * 12 }, (_, i) =>
      eventAt(start + i * 2 * HOUR, {
        ...known('mobile'),
        ip: ['85.214.132.117', '5.9.0.1', '46.4.0.1', '217.160.0.1'][Math.floor(i / 6) % 4]!,
      }),
    ),
  });
  s.push({
    name: 'server fleet in three regions',
    label: 'benign',
    subject: key('fleet'),
    events: Array.from({ length: 8 * 24 * 6 }, (_, i) =>
      eventAt(start - DAY + i * 10 * MINUTE, {
        ...known('fleet'),
        ip: [IPS.parkForest, IPS.amsterdam, IPS.singapore][i % 3]!,
      }),
    ),
  });
  s.push({
    name: 'NAT with many users and a few typos',
    label: 'benign',
    subject: IPS.strasbourg,
    events: [
      ...Array.from({ length: 7 * 24 }, (_, h) =>
        Array.from({ length: 30 }, (_, u) =>
          eventAt(start + h * HOUR + u * 90_000, {
            key_id: key(`nat${u}`),
            tenant_id: tenant('nat'),
            key_fingerprint: fingerprint(40_000 + u),
            ip: IPS.strasbourg,
          }),
        ),
      ).flat(),
      ...spread(day7, 5 * MINUTE, 6).map((at, i) =>
        eventAt(at, {
          key_id: null,
          tenant_id: null,
          ip: IPS.strasbourg,
          outcome: 'unknown_key',
          key_fingerprint: fingerprint(41_000 + i),
        }),
      ),
    ],
  });
  s.push({
    name: 'traffic doubles on Monday morning',
    label: 'benign',
    subject: key('monday'),
    events: [
      ...officeHours(start, 7, 100, (at) => eventAt(at, { ...known('monday') })),
      ...officeHours(start + 7 * DAY, 1, 100, (at) => eventAt(at, { ...known('monday') }), 2),
    ],
  });
  s.push({
    name: 'one stale unknown key retried every minute',
    label: 'benign',
    subject: IPS.london,
    events: Array.from({ length: 2 * 24 * 60 }, (_, i) =>
      eventAt(start + 5 * DAY + i * MINUTE, {
        key_id: null,
        tenant_id: null,
        ip: IPS.london,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(50_000),
      }),
    ),
  });
  s.push({
    name: 'busy key that brushes its rate limit (1 %)',
    label: 'benign',
    subject: key('brusher'),
    events: spread(start + 6 * DAY, DAY, 20_000).map((at, i) =>
      eventAt(at, { ...known('brusher'), outcome: i % 100 === 0 ? 'rate_limited' : 'allowed' }),
    ),
  });
  s.push(...feedbackScenarios(start, day7));
  return s;
}
