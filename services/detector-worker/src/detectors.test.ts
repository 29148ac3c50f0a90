import type { AuthEvent } from '@keywatch/contracts';
import { describe, expect, test } from 'vitest';
import { formatDuration } from './detectors/types.js';
import { DAY, HOUR, MINUTE } from './params.js';
import { IPS, eventAt, fingerprint, memoryDetector } from './testing.js';

// Mid-window start times, so a scenario does not straddle a 5-minute or an hourly boundary by accident.
const T0 = Date.parse('2026-03-02T10:02:30.000Z');
const KEY = 'key_unit00000000000000000001';
const TENANT = 'tenant_unit';
const known = { key_id: KEY, tenant_id: TENANT, key_fingerprint: 'aaaaaaaaaaaaaaaa' } as const;

describe('secret_key_client_side', () => {
  test('a secret key with an Origin raises one high alert per key and origin and asks for suspension', async () => {
    const d = memoryDetector();
    await d.feed(
      [0, 1, 2].map((i) => eventAt(T0 + i * 1000, { ...known, key_type: 'secret', origin: 'https://shop.example' })),
    );
    await d.feed([eventAt(T0 + 5000, { ...known, key_type: 'secret', origin: 'null' })]);
    const alerts = d.ofType('secret_key_client_side');
    expect(alerts.map((a) => [a.severity, a.action, a.evidence.origin])).toEqual([
      ['high', 'suspend_requested', 'https://shop.example'],
      ['high', 'suspend_requested', 'null'],
    ]);
    expect(d.triggers.map((t) => t.requested_action)).toEqual(['suspend', 'suspend']);
    expect(d.latest.get(alerts[0]!.alert_id)?.count).toBe(3);
  });

  test('publishable keys and secret keys without an Origin raise nothing', async () => {
    const d = memoryDetector();
    await d.feed([
      eventAt(T0, { ...known, key_type: 'publishable', origin: 'https://shop.example' }),
      eventAt(T0 + 1, { ...known, key_type: 'secret', origin: null }),
    ]);
    expect(d.alerts()).toEqual([]);
  });
});

describe('credential_stuffing', () => {
  const attempt = (i: number, at: number, ip: string = IPS.saoPaulo) =>
    eventAt(at, {
      key_id: null,
      tenant_id: null,
      key_type: 'secret',
      ip,
      outcome: 'unknown_key',
      key_fingerprint: fingerprint(i),
    });

  test('10 distinct unknown keys in 5 minutes is medium, 25 attempts over 15 distinct is high, one alert', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 10 }, (_, i) => attempt(i, T0 + i * 20_000)));
    expect(d.ofType('credential_stuffing').map((a) => a.severity)).toEqual(['medium']);
    await d.feed(Array.from({ length: 20 }, (_, i) => attempt(100 + i, T0 + 200_000 + i * 20_000)));
    const alerts = d.ofType('credential_stuffing');
    expect(alerts).toHaveLength(1);
    expect(d.published.map((a) => a.severity)).toEqual(['medium', 'high']);
    expect(alerts[0]?.ip).toBe(IPS.saoPaulo);
  });

  test('a later success from the enumerating IP is critical and asks for revocation', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 12 }, (_, i) => attempt(i, T0 + i * 10_000)));
    await d.feed([eventAt(T0 + 200_000, { ...known, ip: IPS.saoPaulo, outcome: 'allowed' })]);
    const critical = d.published.filter((a) => a.severity === 'critical');
    expect(critical.map((a) => [a.key_id, a.action])).toEqual([[KEY, 'revoke_requested']]);
    expect(d.triggers.map((t) => [t.key_id, t.requested_action, t.reason])).toEqual([
      [KEY, 'revoke', 'credential_stuffing'],
    ]);
  });

  test('a success processed before the attack (another partition) is still found', async () => {
    const d = memoryDetector();
    await d.feed([eventAt(T0 + 200_000, { ...known, ip: IPS.saoPaulo, outcome: 'allowed' })]);
    await d.feed(Array.from({ length: 12 }, (_, i) => attempt(i, T0 + i * 10_000)));
    expect(d.published.filter((a) => a.severity === 'critical').map((a) => a.key_id)).toEqual([KEY]);
  });

  test('one stale key retried many times, and a NAT with more good keys than bad, raise nothing', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 60 }, (_, i) => attempt(1, T0 + i * 5_000)));
    const nat = IPS.amsterdam;
    const good = Array.from({ length: 15 }, (_, i) =>
      eventAt(T0 + i * 1000, { key_id: `key_nat${i}`.padEnd(24, '0'), tenant_id: TENANT, ip: nat }),
    );
    await d.feed([...good, ...Array.from({ length: 11 }, (_, i) => attempt(200 + i, T0 + 20_000 + i * 1000, nat))]);
    expect(d.ofType('credential_stuffing')).toEqual([]);
  });
});

describe('credential_stuffing: look-alikes and hidden attacks', () => {
  const attempt = (label: number, at: number, ip: string) =>
    eventAt(at, { key_id: null, tenant_id: null, ip, outcome: 'unknown_key', key_fingerprint: fingerprint(label) });
  const user = (u: number, at: number, ip: string) =>
    eventAt(at, {
      key_id: `key_natuser${u}`.padEnd(24, '0'),
      tenant_id: 'tenant_campus',
      key_fingerprint: fingerprint(90_000 + u),
      ip,
      outcome: 'allowed',
    });
  /** 16 keys tried twice each over 14 minutes (never 10 in 5 minutes), with one dead key retried every 20 s. */
  const hidden = (ip: string) => [
    ...Array.from({ length: 16 }, (_, i) => [
      attempt(i, T0 + i * 52_000, ip),
      attempt(i, T0 + i * 52_000 + 30_000, ip),
    ]).flat(),
    ...Array.from({ length: 60 }, (_, i) => attempt(999, T0 - 2 * MINUTE + i * 20_000, ip)),
  ];

  test('an enumeration beside a stale retrier is high: the retried key does not hide it', async () => {
    const d = memoryDetector();
    await d.feed(hidden(IPS.saoPaulo).sort((a, b) => a.ts.localeCompare(b.ts)));
    expect(d.ofType('credential_stuffing').map((a) => [a.severity, a.ip])).toEqual([['high', IPS.saoPaulo]]);
    // The stale retrier alone (one credential) is nothing.
    const e = memoryDetector();
    await e.feed(Array.from({ length: 60 }, (_, i) => attempt(999, T0 + i * 20_000, IPS.saoPaulo)));
    expect(e.alerts()).toEqual([]);
  });

  test("found when the retrier's partition is an hour ahead and processed first", async () => {
    const d = memoryDetector();
    const events = hidden(IPS.saoPaulo);
    const ahead = Array.from({ length: 150 }, (_, i) => attempt(999, T0 + 20 * MINUTE + i * 20_000, IPS.saoPaulo));
    await d.feed(ahead);
    await d.feed(events.sort((a, b) => a.ts.localeCompare(b.ts)));
    expect(d.ofType('credential_stuffing').map((a) => a.severity)).toEqual(['high']);
  });

  test("a NAT's regular users succeeding during an attack from the NAT are not critical; a key new to the NAT is, in both orders", async () => {
    const nat = IPS.strasbourg;
    const regulars = Array.from({ length: 5 }, (_, u) => [
      user(u, T0 - 30 * MINUTE + u * 1000, nat),
      user(u, T0 + 6 * MINUTE + u * 1000, nat),
    ]).flat();
    const attack = Array.from({ length: 30 }, (_, i) => attempt(500 + i, T0 + i * 10_000, nat));
    const found = eventAt(T0 + 7 * MINUTE, { ...known, ip: nat, outcome: 'allowed' });
    for (const order of ['attack first', 'successes first'] as const) {
      const d = memoryDetector();
      if (order === 'attack first') {
        await d.feed(regulars.slice(0, 5).concat(attack));
        await d.feed([...regulars.slice(5), found]);
      } else {
        await d.feed([...regulars, found]);
        await d.feed(attack);
      }
      const critical = d.published.filter((a) => a.severity === 'critical');
      expect([order, critical.map((a) => a.key_id), d.triggers.map((t) => t.key_id)]).toEqual([order, [KEY], [KEY]]);
      expect(
        d
          .ofType('credential_stuffing')
          .filter((a) => a.key_id === null)
          .map((a) => a.ip),
      ).toEqual([nat]);
    }
  });
});

describe('revoked_key_in_use', () => {
  test('three uses in an hour: a revoked key medium, high from three IPs; an expired key low, medium from three IPs', async () => {
    const ips = [IPS.sydney, IPS.saoPaulo, IPS.london];
    const cases = [
      ['revoked_key', 1, 'medium'],
      ['revoked_key', 2, 'medium'],
      ['revoked_key', 3, 'high'],
      ['expired_key', 1, 'low'],
      ['expired_key', 3, 'medium'],
    ] as const;
    for (const [outcome, spread, severity] of cases) {
      const d = memoryDetector();
      await d.feed([0, 1, 2].map((i) => eventAt(T0 + i * 10 * MINUTE, { ...known, ip: ips[i % spread], outcome })));
      expect([outcome, spread, d.ofType('revoked_key_in_use').map((a) => [a.key_id, a.severity])]).toEqual([
        outcome,
        spread,
        [[KEY, severity]],
      ]);
    }
  });

  test('a CI job retrying a revoked key from the IP it used while valid is one low item; the same from a new IP is medium', async () => {
    const retries = (ip: string) =>
      Array.from({ length: 720 }, (_, i) => eventAt(T0 + i * 30_000, { ...known, ip, outcome: 'revoked_key' }));
    const d = memoryDetector();
    await d.feed([
      eventAt(T0 - 2 * DAY, { ...known, ip: IPS.london }),
      eventAt(T0 - DAY, { ...known, ip: IPS.london }),
    ]);
    await d.feed(retries(IPS.london), { batchSize: 500 });
    expect(d.alerts().map((a) => [a.type, a.severity, a.evidence.from_former_ip])).toEqual([
      ['revoked_key_in_use', 'low', true],
    ]);
    const e = memoryDetector();
    await e.feed([eventAt(T0 - DAY, { ...known, ip: IPS.london })]);
    await e.feed(retries(IPS.sydney), { batchSize: 500 });
    expect(e.alerts().map((a) => [a.type, a.severity])).toEqual([['revoked_key_in_use', 'medium']]);
  }, 60_000);

  test('two uses, or uses spread over more than an hour, raise nothing', async () => {
    const d = memoryDetector();
    await d.feed([0, 70, 140].map((m) => eventAt(T0 + m * MINUTE, { ...known, outcome: 'revoked_key' })));
    expect(d.alerts()).toEqual([]);
  });
});

describe('rate_limit_violation', () => {
  const windowStart = Date.parse('2026-03-02T10:00:00.000Z');
  const traffic = (window: number, requests: number, limited: number) =>
    Array.from({ length: requests }, (_, i) =>
      eventAt(windowStart + window * 5 * MINUTE + Math.floor((i * 5 * MINUTE) / requests), {
        ...known,
        outcome: i < limited ? 'rate_limited' : 'allowed',
      }),
    );

  test('50 rejections in each of two consecutive windows raise one alert', async () => {
    const d = memoryDetector();
    await d.feed([...traffic(0, 60, 55), ...traffic(1, 60, 55), ...traffic(2, 60, 55)]);
    expect(d.ofType('rate_limit_violation')).toHaveLength(1);
  });

  test('10 % of requests in two closed windows raise it; one window does not', async () => {
    const d = memoryDetector();
    await d.feed([...traffic(0, 200, 30), ...traffic(1, 200, 30), ...traffic(2, 10, 0)]);
    expect(d.ofType('rate_limit_violation')).toHaveLength(1);
    const e = memoryDetector();
    await e.feed([...traffic(0, 200, 30), ...traffic(1, 200, 5), ...traffic(2, 200, 30), ...traffic(3, 10, 0)]);
    expect(e.ofType('rate_limit_violation')).toEqual([]);
  });

  test('429s the gateway answered because its limiter was down (rate_limit: null) never count', async () => {
    // A Redis outage at the gateway: every request of the key refused with rate_limit null, for
    // three windows; the same traffic with the limit state is a violation.
    const outage = (limitState: boolean) =>
      [0, 1, 2].flatMap((w) => traffic(w, 80, 80).map((e) => (limitState ? e : { ...e, rate_limit: null })));
    const d = memoryDetector();
    await d.feed(outage(false));
    expect(d.alerts()).toEqual([]);
    const e = memoryDetector();
    await e.feed(outage(true));
    expect(e.ofType('rate_limit_violation')).toHaveLength(1);
    // Outage rejections dilute nothing either way: 10 % real rejections of the key's requests still count.
    const f = memoryDetector();
    await f.feed(
      [0, 1, 2].flatMap((w) =>
        traffic(w, 200, 50).map((e, i) => (i < 30 ? e : i < 50 ? { ...e, rate_limit: null } : e)),
      ),
    );
    expect(f.ofType('rate_limit_violation')).toHaveLength(1);
  });

  test('the summary gives a window that is not whole minutes in units people read', async () => {
    const d = memoryDetector({ settings: { rate_limit_violation: { window_ms: 5000, min_rate_limited: 3 } } });
    const start = Date.parse('2026-03-02T10:00:00.000Z');
    await d.feed(
      Array.from({ length: 12 }, (_, i) => eventAt(start + i * 1000, { ...known, outcome: 'rate_limited' })),
    );
    const [alert] = d.ofType('rate_limit_violation');
    expect(alert?.summary).toContain('two consecutive windows of 5 s');
    expect([
      formatDuration(5 * MINUTE),
      formatDuration(90 * MINUTE),
      formatDuration(30 * DAY),
      formatDuration(5000),
      formatDuration(1500),
    ]).toEqual(['5 min', '1.5 h', '30 d', '5 s', '1.5 s']);
  });
});

describe('rate_limit_violation: duration', () => {
  const at10 = Date.parse('2026-03-02T10:00:00.000Z');
  const burst = (from: number, minutes: number) =>
    Array.from({ length: minutes * 60 }, (_, i) =>
      eventAt(from + i * 1000, { ...known, outcome: i % 4 === 0 ? 'allowed' : 'rate_limited' }),
    );

  test('one 3-minute burst across a window boundary (135 refusals on each side) raises nothing', async () => {
    const d = memoryDetector();
    await d.feed(burst(at10 + 3.5 * MINUTE, 3));
    expect(d.alerts()).toEqual([]);
  });

  test('the same rate kept up for 7 minutes, over two windows, raises it', async () => {
    const d = memoryDetector();
    await d.feed(burst(at10 + 1.5 * MINUTE, 7));
    const alerts = d.ofType('rate_limit_violation');
    expect(alerts).toHaveLength(1);
    // Raised once the refusals (first to last, at a fifth of a window) outlast one window.
    expect(alerts[0]?.evidence.lasting_ms).toBe(6 * MINUTE);
  });
});

describe('failed_auth_spike: permission failures', () => {
  const offices = [IPS.berlin, IPS.london, IPS.amsterdam];
  const refused = (i: number, overrides: Partial<AuthEvent> = {}) =>
    eventAt(T0 + i * 20_000, {
      ...known,
      ip: offices[i % 3],
      outcome: 'insufficient_scope',
      scope: 'payments:write',
      ...overrides,
    });

  test('one scope refused 90 times in 30 min from three office IPs is one low item, not medium', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 90 }, (_, i) => refused(i)));
    expect(d.ofType('failed_auth_spike').map((a) => [a.severity, a.ip, a.evidence.distinct_refused_scopes])).toEqual([
      ['low', null, 1],
    ]);
  });

  test('refusals of three scopes (probing) are medium; ip_not_allowed from three IPs stays medium', async () => {
    const d = memoryDetector();
    const scopes = ['payments:write', 'keys:manage', 'audit:read'];
    await d.feed(Array.from({ length: 30 }, (_, i) => refused(i, { scope: scopes[i % 3], ip: IPS.sydney })));
    expect(d.ofType('failed_auth_spike').map((a) => a.severity)).toEqual(['medium']);
    const e = memoryDetector();
    await e.feed(Array.from({ length: 30 }, (_, i) => refused(i, { outcome: 'ip_not_allowed' })));
    expect(e.ofType('failed_auth_spike').map((a) => a.severity)).toEqual(['medium']);
  });

  test('permission_outcomes and probe_scopes are settings: with none, office IPs raise it as before', async () => {
    const d = memoryDetector({ settings: { failed_auth_spike: { permission_outcomes: [] } } });
    await d.feed(Array.from({ length: 90 }, (_, i) => refused(i)));
    expect(d.ofType('failed_auth_spike').map((a) => a.severity)).toEqual(['medium']);
  });
});

describe('failed_auth_spike', () => {
  test('20 failures of a key in 30 minutes from one IP are one low alert; many IPs make it medium', async () => {
    const d = memoryDetector();
    await d.feed(
      Array.from({ length: 40 }, (_, i) => eventAt(T0 + i * 30_000, { ...known, outcome: 'insufficient_scope' })),
    );
    const alerts = d.ofType('failed_auth_spike');
    expect(alerts.map((a) => [a.severity, a.key_id])).toEqual([['low', KEY]]);
    const ips = [IPS.berlin, IPS.london, IPS.sydney, IPS.singapore];
    const e = memoryDetector();
    await e.feed(
      Array.from({ length: 25 }, (_, i) =>
        eventAt(T0 + i * 30_000, { ...known, ip: ips[i % 4], outcome: 'ip_not_allowed' }),
      ),
    );
    expect(e.ofType('failed_auth_spike').map((a) => a.severity)).toEqual(['medium']);
  });

  test('a new tenant whose ordinary traffic has 403s from one or two keys gets no tenant alert; a per-key spike is one low alert', async () => {
    // Two keys of a brand-new tenant (no history: only the floor applies), 24 insufficient_scope
    // answers between them in 30 minutes, neither reaching the per-key floor.
    const d = memoryDetector();
    const two = [KEY, 'key_unit00000000000000000002'];
    await d.feed(
      Array.from({ length: 24 }, (_, i) =>
        eventAt(T0 + i * MINUTE, {
          ...known,
          key_id: two[i % 2],
          key_fingerprint: fingerprint(i % 2),
          outcome: 'insufficient_scope',
        }),
      ),
    );
    expect(d.alerts()).toEqual([]);
    // One stale key retried forever: the per-key alert only (low), not a tenant alert on top.
    const e = memoryDetector();
    await e.feed(
      Array.from({ length: 120 }, (_, i) => eventAt(T0 + i * 30_000, { ...known, outcome: 'insufficient_scope' })),
    );
    expect(e.ofType('failed_auth_spike').map((a) => [a.dedup_key, a.severity])).toEqual([
      [`failed_auth_spike:key:${KEY}`, 'low'],
    ]);
    // Failures across three credentials are the tenant's: medium; ten or more: high.
    for (const [n, severity] of [
      [3, 'medium'],
      [10, 'high'],
    ] as const) {
      const f = memoryDetector();
      await f.feed(
        Array.from({ length: 30 }, (_, i) =>
          eventAt(T0 + i * MINUTE, {
            ...known,
            key_id: `key_t${i % n}`.padEnd(24, '0'),
            key_fingerprint: fingerprint(i % n),
            outcome: 'insufficient_scope',
          }),
        ),
      );
      expect(f.ofType('failed_auth_spike').map((a) => [a.dedup_key, a.severity])).toEqual([
        [`failed_auth_spike:tenant:${TENANT}`, severity],
      ]);
    }
    // A tenant that lowers the threshold to one credential gets at most a low item for it.
    const g = memoryDetector({ settings: { failed_auth_spike: { tenant_min_distinct: 1 } } });
    await g.feed(
      Array.from({ length: 24 }, (_, i) =>
        eventAt(T0 + i * MINUTE, {
          ...known,
          key_id: two[i % 2],
          key_fingerprint: fingerprint(i % 2),
          outcome: 'insufficient_scope',
        }),
      ),
    );
    expect(g.ofType('failed_auth_spike').map((a) => [a.dedup_key, a.severity])).toEqual([
      [`failed_auth_spike:tenant:${TENANT}`, 'low'],
    ]);
  });

  test('19 failures, or 20 spread over two hours, raise nothing', async () => {
    const d = memoryDetector();
    await d.feed(
      Array.from({ length: 19 }, (_, i) => eventAt(T0 + i * 30_000, { ...known, outcome: 'insufficient_scope' })),
    );
    await d.feed(
      Array.from({ length: 20 }, (_, i) =>
        eventAt(T0 + HOUR + i * 6 * MINUTE, { ...known, outcome: 'insufficient_scope' }),
      ),
    );
    expect(d.alerts()).toEqual([]);
  });

  test('a tenant with a high, steady failure baseline is not alerted at the floor', async () => {
    const d = memoryDetector();
    const start = T0 - 8 * DAY;
    const history = [];
    for (let h = 0; h < 8 * 24; h += 1) {
      for (let i = 0; i < 60; i += 1)
        history.push(
          eventAt(start + h * HOUR + i * MINUTE, {
            ...known,
            key_id: `key_k${i % 5}`.padEnd(24, '0'),
            key_fingerprint: fingerprint(i % 5),
            outcome: 'insufficient_scope',
          }),
        );
    }
    await d.feed(history, { batchSize: 500 });
    expect(
      d.ofType('failed_auth_spike').filter((a) => a.dedup_key.startsWith('failed_auth_spike:tenant')).length,
    ).toBeGreaterThan(0);
    const before = d.alerts().length;
    // Day 8 onwards, the same steady rate is the tenant's normal: no new tenant alert.
    const after = [];
    for (let i = 0; i < 60; i += 1)
      after.push(
        eventAt(start + 8 * DAY + 7 * HOUR + i * MINUTE, {
          ...known,
          key_id: `key_k${i % 5}`.padEnd(24, '0'),
          key_fingerprint: fingerprint(i % 5),
          outcome: 'insufficient_scope',
        }),
      );
    await d.feed(after);
    const newTenantAlerts = d
      .alerts()
      .slice(before)
      .filter((a) => a.dedup_key.startsWith('failed_auth_spike:tenant'));
    expect(newTenantAlerts).toEqual([]);
  }, 60_000);
});

describe('geography', () => {
  const ok = (at: number, ip: string) => eventAt(at, { ...known, ip, outcome: 'allowed' });

  test('Berlin then Sydney an hour later is impossible travel (medium); a new country only after the 7-day learning period', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 10 }, (_, i) => ok(T0 + i * MINUTE, IPS.berlin)));
    await d.feed([ok(T0 + 70 * MINUTE, IPS.sydney)]);
    const travel = d.ofType('impossible_travel');
    expect(travel.map((a) => a.severity)).toEqual(['medium']);
    expect(Number(travel[0]?.evidence.speed_kmh)).toBeGreaterThan(900);
    // Ten uses in ten minutes are no learning period: Sydney is not judged as a new country yet.
    expect(d.ofType('geo_new_country')).toEqual([]);
    await d.feed([ok(T0 + 8 * DAY, IPS.saoPaulo)]);
    expect(d.ofType('geo_new_country').map((a) => [a.severity, a.evidence.country])).toEqual([['low', 'BR']]);
  });

  test('a new country during learning, a drive Berlin–Nuremberg, and a commuter between known neighbours raise nothing', async () => {
    const d = memoryDetector();
    await d.feed([ok(T0, IPS.berlin), ok(T0 + 5 * MINUTE, IPS.zurich), ok(T0 + 10 * HOUR, IPS.nuremberg)]);
    expect(d.alerts()).toEqual([]);
    // After learning, CH and DE are both the key's normal places: 15-minute hops are routine.
    const later = T0 + DAY;
    await d.feed(
      Array.from({ length: 12 }, (_, i) => ok(later + i * 15 * MINUTE, i % 2 === 0 ? IPS.zurich : IPS.berlin)),
    );
    expect(d.alerts()).toEqual([]);
  });

  test('a publishable key used from browsers around the world raises no geography alert; a secret key doing the same is travel', async () => {
    const world = [IPS.berlin, IPS.sydney, IPS.saoPaulo, IPS.singapore, IPS.london, IPS.parkForest];
    const uses = (keyType: 'publishable' | 'secret') => [
      ...Array.from({ length: 10 }, (_, i) =>
        eventAt(T0 + i * MINUTE, { ...known, key_type: keyType, ip: IPS.berlin, outcome: 'allowed' }),
      ),
      ...Array.from({ length: 12 }, (_, i) =>
        eventAt(T0 + (20 + i) * MINUTE, {
          ...known,
          key_type: keyType,
          ip: world[i % world.length] ?? IPS.berlin,
          outcome: 'allowed',
        }),
      ),
    ];
    const d = memoryDetector();
    await d.feed(uses('publishable'));
    expect(d.alerts()).toEqual([]);
    const e = memoryDetector();
    await e.feed(uses('secret'));
    expect(e.ofType('impossible_travel')).toHaveLength(1);
    // Its first hour is inside the learning period: no country is new yet.
    expect(e.ofType('geo_new_country')).toEqual([]);
  });

  test('a fleet in three countries moving between them is not travel; a fourth, far country is low', async () => {
    const d = memoryDetector();
    const fleet = [IPS.parkForest, IPS.amsterdam, IPS.singapore];
    await d.feed(Array.from({ length: 30 }, (_, i) => ok(T0 + i * MINUTE, fleet[i % 3] ?? IPS.parkForest)));
    expect(d.alerts()).toEqual([]);
    await d.feed([ok(T0 + 31 * MINUTE, IPS.saoPaulo)]);
    expect(d.ofType('impossible_travel').map((a) => a.severity)).toEqual(['low']);
  });
});

describe('geography: familiar places', () => {
  const ok = (at: number, ip: string) => eventAt(at, { ...known, ip, outcome: 'allowed' });
  // Berlin (5 km) and Ammersbek near Hamburg (20 km): 230 km apart, both DE.
  const carriers = ['91.64.0.7', '77.0.0.7'];

  test('a phone whose carrier IPs jump between German cities every 4 minutes is not travel once learnt', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 40 }, (_, i) => ok(T0 + i * 4 * MINUTE, carriers[i % 2] ?? IPS.berlin)));
    expect(d.alerts()).toEqual([]);
    // Without ignore_familiar, the same hops are raised (same country: no fleet, no border).
    const e = memoryDetector({ settings: { impossible_travel: { ignore_familiar: false } } });
    await e.feed(Array.from({ length: 40 }, (_, i) => ok(T0 + i * 4 * MINUTE, carriers[i % 2] ?? IPS.berlin)));
    expect(e.ofType('impossible_travel').map((a) => a.severity)).toEqual(['medium']);
  });

  test('from a familiar German city to Sydney, a country the key never used, is still medium', async () => {
    const d = memoryDetector();
    await d.feed(Array.from({ length: 40 }, (_, i) => ok(T0 + i * 4 * MINUTE, carriers[i % 2] ?? IPS.berlin)));
    await d.feed([ok(T0 + 200 * MINUTE, IPS.sydney)]);
    expect(
      d.ofType('impossible_travel').map((a) => [a.severity, (a.evidence.to as { country: string }).country]),
    ).toEqual([['medium', 'AU']]);
  });

  test('overlapping accuracy circles are not travel: country-level US (1000 km) and Seattle (1000 km) 10 minutes apart', async () => {
    const d = memoryDetector({ settings: { impossible_travel: { ignore_familiar: false } } });
    await d.feed([
      ...Array.from({ length: 10 }, (_, i) => ok(T0 + i * MINUTE, '8.8.8.7')),
      ok(T0 + 20 * MINUTE, '52.95.0.7'),
    ]);
    expect(d.ofType('impossible_travel')).toEqual([]);
  });
});

describe('usage_spike', () => {
  test(
    'refused requests are not usage: a quiet key whose dead copy is retried 120 times an hour raises no spike',
    { timeout: 60_000 },
    async () => {
      const d = memoryDetector();
      const start = Date.parse('2026-03-01T00:00:00.000Z');
      await d.feed(
        Array.from({ length: 8 * 24 * 2 }, (_, i) => eventAt(start + i * 30 * MINUTE, { ...known })),
        { batchSize: 1000 },
      );
      await d.feed(
        Array.from({ length: 240 }, (_, i) =>
          eventAt(start + 8 * DAY + i * 30_000, { ...known, outcome: 'inactive_key' }),
        ),
        { batchSize: 100 },
      );
      expect(d.ofType('usage_spike')).toEqual([]);
      expect(d.ofType('failed_auth_spike').map((a) => a.severity)).toEqual(['low']);
    },
  );

  const steady = (start: number, days: number, perHour: number) => {
    const events = [];
    for (let h = 0; h < days * 24; h += 1)
      for (let i = 0; i < perHour; i += 1)
        events.push(eventAt(start + h * HOUR + Math.floor((i * HOUR) / perHour), { ...known }));
    return events;
  };

  test('after a week at 20 requests an hour, 300 in an hour is a spike', { timeout: 60_000 }, async () => {
    const d = memoryDetector();
    const start = Date.parse('2026-03-01T00:00:00.000Z');
    await d.feed(steady(start, 8, 20), { batchSize: 1000 });
    expect(d.alerts()).toEqual([]);
    const spikeAt = start + 8 * DAY + 30 * MINUTE;
    await d.feed(
      Array.from({ length: 300 }, (_, i) => eventAt(spikeAt + i * 5_000, { ...known })),
      { batchSize: 50 },
    );
    expect(d.ofType('usage_spike')).toHaveLength(1);
  });

  test('doubling, or a spike before a week of history, raises nothing', { timeout: 60_000 }, async () => {
    const d = memoryDetector();
    const start = Date.parse('2026-03-01T00:00:00.000Z');
    await d.feed(steady(start, 8, 60), { batchSize: 1000 });
    await d.feed(Array.from({ length: 120 }, (_, i) => eventAt(start + 8 * DAY + i * 25_000, { ...known })));
    const young = memoryDetector();
    await young.feed(steady(start, 2, 20), { batchSize: 1000 });
    await young.feed(Array.from({ length: 400 }, (_, i) => eventAt(start + 2 * DAY + i * 5_000, { ...known })));
    expect([...d.alerts(), ...young.alerts()]).toEqual([]);
  });
});

describe('event time', () => {
  test('events within the lateness are counted; older ones are dropped', async () => {
    const d = memoryDetector();
    await d.feed([eventAt(T0 + 10 * MINUTE, { ...known })]);
    await d.feed([0, 1, 2].map((i) => eventAt(T0 + 10 * MINUTE - 30_000 + i, { ...known, outcome: 'revoked_key' })));
    expect(d.ofType('revoked_key_in_use')).toHaveLength(1);
    const e = memoryDetector();
    await e.feed([eventAt(T0 + 10 * MINUTE, { ...known })]);
    await e.feed(
      [0, 1, 2].map((i) => eventAt(T0 + 10 * MINUTE - 2 * MINUTE + i, { ...known, outcome: 'revoked_key' })),
    );
    expect(e.alerts()).toEqual([]);
    expect(e.late).toBe(3);
  });

  test('a redelivered batch changes no state and keeps the same alert ids; a replay on fresh state gives the same ids', async () => {
    const events = Array.from({ length: 12 }, (_, i) =>
      eventAt(T0 + i * 10_000, {
        key_id: null,
        tenant_id: null,
        ip: IPS.saoPaulo,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(i),
      }),
    );
    const d = memoryDetector();
    await d.feed(events);
    const ids = d.alerts().map((a) => a.alert_id);
    const count = [...d.latest.values()][0]?.count;
    await d.feed(events);
    expect(d.alerts().map((a) => a.alert_id)).toEqual(ids);
    expect([...d.latest.values()][0]?.count).toBe(count);
    const fresh = memoryDetector();
    await fresh.feed(events, { batchSize: 5 });
    expect(fresh.alerts().map((a) => a.alert_id)).toEqual(ids);
  });
});
