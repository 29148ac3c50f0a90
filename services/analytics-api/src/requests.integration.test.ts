import { newEventId, parseCidr } from '@keywatch/contracts';
import { expect, test } from '@keywatch/testkit';
import { createTestKey, insertEvents, startTestApi, type TestEvent } from './testing.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const IPS = [
  '203.0.113.7',
  '203.0.113.200',
  '198.51.100.9',
  '10.1.2.3',
  '2001:db8::5',
  '2001:db8:1::9',
  '::ffff:10.9.8.7',
];
const COUNTRIES = ['DE', 'US', 'GB', ''];
const OUTCOMES: Array<[string, number]> = [
  ['allowed', 200],
  ['allowed', 502],
  ['unknown_key', 401],
  ['rate_limited', 429],
  ['insufficient_scope', 403],
];
const ROUTES: Array<[string, string]> = [
  ['/v1/subscriptions', 'subscriptions:read'],
  ['/v1/customers/:id', 'customers:read'],
  ['/v1/payments', 'payments:write'],
];

/** A deterministic mix of events: several per second (same-second and same-millisecond ties), every filter value used. */
function traffic(tenant: string, keys: readonly string[], n: number, seed: number): TestEvent[] {
  let x = seed;
  const next = (m: number) => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x % m;
  };
  return Array.from({ length: n }, (_, i) => {
    const [outcome, status] = OUTCOMES[next(OUTCOMES.length)]!;
    const [route, scope] = ROUTES[next(ROUTES.length)]!;
    return {
      event_id: newEventId(),
      tenant_id: tenant,
      key_id: keys[next(keys.length)]!,
      // About 3 events per second, a few in the same millisecond.
      ts: T0 + Math.floor(i / 3) * 1000 + (next(4) === 0 ? 0 : next(1000)),
      outcome,
      status,
      route,
      scope,
      latency_ms: next(100),
      country: COUNTRIES[next(COUNTRIES.length)]!,
      city: '',
      ip: IPS[next(IPS.length)]!,
    };
  });
}

const order = (a: TestEvent, b: TestEvent) =>
  b.ts - a.ts || (b.event_id! < a.event_id! ? -1 : b.event_id! > a.event_id! ? 1 : 0);

function inRange(ip: string, cidr: string): boolean {
  const range = parseCidr(cidr)!;
  const addr = parseCidr(ip)!;
  return range.family === addr.family && addr.first >= range.first && addr.first <= range.last;
}

test('request search returns exactly the matching requests, newest first, page by page, and never another tenant', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const reader = await createTestKey(ctx.store, 'tenant_a');
    const keyA = await createTestKey(ctx.store, 'tenant_a');
    const keyB = await createTestKey(ctx.store, 'tenant_a');
    const other = await createTestKey(ctx.store, 'tenant_b');
    const mine = traffic('tenant_a', [keyA.id, keyB.id], 600, 7);
    // Tenant B's traffic, partly under tenant A's key ids (a forged event must not leak either way).
    const theirs = traffic('tenant_b', [other.id, keyA.id], 300, 11);
    await insertEvents(ctx.ch, [...mine, ...theirs]);

    const cases: Array<{ query: Record<string, string>; match: (e: TestEvent) => boolean }> = [
      { query: {}, match: () => true },
      { query: { key_id: keyA.id }, match: (e) => e.key_id === keyA.id },
      { query: { outcome: 'unknown_key' }, match: (e) => e.outcome === 'unknown_key' },
      { query: { status: '502' }, match: (e) => e.status === 502 },
      { query: { route: '/v1/customers/:id' }, match: (e) => e.route === '/v1/customers/:id' },
      {
        query: { scope: 'payments:write', outcome: 'allowed' },
        match: (e) => e.scope === 'payments:write' && e.outcome === 'allowed',
      },
      { query: { country: 'de' }, match: (e) => e.country === 'DE' },
      { query: { ip: '203.0.113.7' }, match: (e) => e.ip === '203.0.113.7' },
      { query: { ip: '203.0.113.0/24' }, match: (e) => inRange(e.ip!, '203.0.113.0/24') },
      // IPv4 blocks match IPv4-mapped IPv6 text too.
      { query: { ip: '10.0.0.0/8' }, match: (e) => e.ip === '10.1.2.3' || e.ip === '::ffff:10.9.8.7' },
      { query: { ip: '2001:db8::/48' }, match: (e) => e.ip === '2001:db8::5' },
      {
        query: { ip: '2001:db8::/32', key_id: keyB.id },
        match: (e) => e.ip!.startsWith('2001:db8') && e.key_id === keyB.id,
      },
      {
        query: { from: new Date(T0 + 20_500).toISOString(), to: new Date(T0 + 90_250).toISOString() },
        match: (e) => e.ts >= T0 + 20_500 && e.ts < T0 + 90_250,
      },
      {
        query: { country: 'US', outcome: 'allowed', from: new Date(T0 + 30_000).toISOString() },
        match: (e) => e.country === 'US' && e.outcome === 'allowed' && e.ts >= T0 + 30_000,
      },
    ];

    for (const { query, match } of cases) {
      const expected = mine.filter(match).sort(order);
      const got: Array<{ event_id: string; ts: string; tenant_id: string; country: string | null }> = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages += 1) {
        const params: URLSearchParams = new URLSearchParams({ ...query, limit: '37', ...(cursor ? { cursor } : {}) });
        const page: { status: number; body: { requests: typeof got; next_cursor: string | null } } = await ctx.get<{
          requests: typeof got;
          next_cursor: string | null;
        }>(`/v1/requests?${params.toString()}`, reader.secret);
        expect(page.status, JSON.stringify({ query, body: page.body })).toBe(200);
        got.push(...page.body.requests);
        cursor = page.body.next_cursor;
        if (cursor === null) break;
      }
      expect(got.length, JSON.stringify(query)).toBe(expected.length);
      expect(got.map((r) => r.event_id)).toEqual(expected.map((e) => e.event_id));
      expect(new Set(got.map((r) => r.tenant_id))).toEqual(new Set(got.length ? ['tenant_a'] : []));
    }

    // One full answer: the auth event of the contract plus country and city.
    const newest = [...mine].sort(order)[0]!;
    const one = await ctx.get<{ requests: Array<Record<string, unknown>> }>(`/v1/requests?limit=1`, reader.secret);
    expect(one.body.requests[0]).toEqual({
      v: 1,
      event_id: newest.event_id,
      ts: new Date(newest.ts).toISOString(),
      gateway_id: 'gw-test',
      request_id: 'req_test',
      tenant_id: 'tenant_a',
      key_id: newest.key_id,
      key_type: 'secret',
      environment: 'live',
      key_fingerprint: '0123456789abcdef',
      outcome: newest.outcome,
      scope: newest.scope,
      method: 'GET',
      route: newest.route,
      status: newest.status,
      latency_ms: newest.latency_ms,
      ip: newest.ip,
      user_agent: null,
      origin: null,
      rate_limit: null,
      country: newest.country === '' ? null : newest.country,
      city: null,
    });

    // Tenant B sees its own 300 and none of A's; naming A is refused.
    const b = await createTestKey(ctx.store, 'tenant_b');
    const theirsPage = await ctx.get<{ requests: Array<{ tenant_id: string }> }>(`/v1/requests?limit=1000`, b.secret);
    expect(theirsPage.body.requests).toHaveLength(300);
    expect(theirsPage.body.requests.every((r) => r.tenant_id === 'tenant_b')).toBe(true);
    expect((await ctx.get(`/v1/requests?tenant_id=tenant_a`, b.secret)).status).toBe(403);
  } finally {
    await ctx.close();
  }
});

test('request search refuses bad filters by name and binds hostile text as values', async ({
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await startTestApi({ clickhouse, redis, logger });
  try {
    const reader = await createTestKey(ctx.store, 'tenant_a');
    const writerOnly = await createTestKey(ctx.store, 'tenant_a', { scopes: ['keys:manage'] });
    await insertEvents(ctx.ch, traffic('tenant_a', [reader.id], 20, 3));
    for (const [query, field] of [
      ['ip=10.0.0.0/33', 'ip'],
      ['ip=1.2.3.4%27%20OR%201%3D1', 'ip'],
      ['country=Germany', 'country'],
      ['outcome=fine', 'outcome'],
      ['status=99', 'status'],
      ['limit=1001', 'limit'],
      ['limit=0', 'limit'],
      ['cursor=bm90IGEgY3Vyc29y', 'cursor'],
      ['key_id=nope', 'key_id'],
      ['from=yesterday', 'from'],
      ['from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z', 'from'],
      ['colour=red', 'colour'],
    ] as const) {
      const res = await ctx.get<{ error: { code: string; field?: string } }>(`/v1/requests?${query}`, reader.secret);
      expect(res.status, query).toBe(400);
      expect(res.body.error.field, query).toBe(field);
    }
    for (const hostile of ["/v1/x' OR '1'='1", '\\', "') UNION ALL SELECT 1 --"]) {
      const res = await ctx.get<{ requests: unknown[] }>(
        `/v1/requests?route=${encodeURIComponent(hostile)}`,
        reader.secret,
      );
      expect(res.status).toBe(200);
      expect(res.body.requests).toEqual([]);
    }
    expect((await ctx.get('/v1/requests', writerOnly.secret)).status).toBe(403);
    expect((await ctx.get('/v1/requests', null)).status).toBe(401);
  } finally {
    await ctx.close();
  }
});
