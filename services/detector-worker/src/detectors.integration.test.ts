import { topicNames, type Alert, type AuthEvent } from '@keywatch/contracts';
import {
  collectMessages,
  createProducer,
  expect,
  poll,
  prepareClickHouse,
  produceEvents,
  repoRoot,
  test,
} from '@keywatch/testkit';
import { createGeoLookup } from './geo.js';
import { DAY, HOUR, MINUTE } from './params.js';
import { IPS, eventAt, eventsSeen, fingerprint, startWorkerOn } from './testing.js';

// One timeline for every scenario, as live traffic has: history over eight days, then the
// attacks and their benign look-alikes around T, each on its own key, IP and tenant.
const T = Date.parse('2026-03-09T10:02:30.000Z');
const key = (name: string) => `key_${name}`.padEnd(24, '0');

function scenarios(): { events: AuthEvent[]; expected: Array<[Alert['type'], string]> } {
  const events: AuthEvent[] = [];
  const k = (name: string, tenant = `tenant_${name}`) => ({
    key_id: key(name),
    tenant_id: tenant,
    key_fingerprint: fingerprint(name.length * 7919 + name.charCodeAt(0)),
  });
  // secret_key_client_side: + secret key with Origin; - publishable key with Origin.
  events.push(eventAt(T, { ...k('secret'), key_type: 'secret', origin: 'https://shop.example' }));
  events.push(
    eventAt(T, { ...k('public'), key_type: 'publishable', origin: 'https://shop.example', scope: 'bundles:read' }),
  );
  // credential_stuffing: + 12 distinct unknown keys from one IP; - one stale unknown key retried 40 times.
  for (let i = 0; i < 12; i += 1)
    events.push(
      eventAt(T + i * 10_000, {
        key_id: null,
        tenant_id: null,
        ip: IPS.saoPaulo,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(1000 + i),
      }),
    );
  for (let i = 0; i < 40; i += 1)
    events.push(
      eventAt(T + i * 10_000, {
        key_id: null,
        tenant_id: null,
        ip: IPS.london,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(5),
      }),
    );
  // revoked_key_in_use: + three uses in an hour; - two.
  for (let i = 0; i < 3; i += 1) events.push(eventAt(T + i * 5 * MINUTE, { ...k('revoked3'), outcome: 'revoked_key' }));
  for (let i = 0; i < 2; i += 1) events.push(eventAt(T + i * 5 * MINUTE, { ...k('revoked2'), outcome: 'revoked_key' }));
  // rate_limit_violation: + 55 rejections in each of two 5-minute windows; - in one window only.
  const w0 = Math.floor(T / (5 * MINUTE)) * 5 * MINUTE;
  for (let i = 0; i < 55; i += 1)
    events.push(
      eventAt(w0 + i * 5_000, { ...k('limited2'), outcome: 'rate_limited' }),
      eventAt(w0 + 5 * MINUTE + i * 5_000, { ...k('limited2'), outcome: 'rate_limited' }),
    );
  for (let i = 0; i < 55; i += 1) events.push(eventAt(w0 + i * 5_000, { ...k('limited1'), outcome: 'rate_limited' }));
  // failed_auth_spike: + 25 failures in 12 minutes; - 15.
  for (let i = 0; i < 25; i += 1)
    events.push(eventAt(T + i * 30_000, { ...k('failing25'), outcome: 'insufficient_scope' }));
  for (let i = 0; i < 15; i += 1)
    events.push(eventAt(T + i * 30_000, { ...k('failing15'), outcome: 'insufficient_scope' }));
  // impossible_travel and geo_new_country: + ten uses in Berlin, then Sydney; - ten in Berlin, then Nuremberg.
  // A first use 8 days earlier: new countries are judged only after the 7-day learning period.
  for (const [name, far] of [
    ['traveller', IPS.sydney],
    ['driver', IPS.nuremberg],
  ] as const) {
    events.push(eventAt(T - 8 * 24 * HOUR, { ...k(name), ip: IPS.berlin }));
    for (let i = 0; i < 10; i += 1) events.push(eventAt(T + i * MINUTE, { ...k(name), ip: IPS.berlin }));
    events.push(eventAt(T + 60 * MINUTE, { ...k(name), ip: far }));
  }
  // usage_spike: a week at 10 requests an hour, then + 300 in an hour; - 20 in an hour.
  for (const [name, burst] of [
    ['spiky', 300],
    ['doubling', 20],
  ] as const) {
    for (let h = 8 * 24; h > 0; h -= 1)
      for (let i = 0; i < 10; i += 1) events.push(eventAt(T - h * HOUR + i * 6 * MINUTE, { ...k(name) }));
    for (let i = 0; i < burst; i += 1) events.push(eventAt(T + Math.floor((i * 50 * MINUTE) / burst), { ...k(name) }));
  }
  events.sort((a, b) => a.ts.localeCompare(b.ts));
  return {
    events,
    expected: [
      ['credential_stuffing', IPS.saoPaulo],
      ['failed_auth_spike', key('failing25')],
      ['geo_new_country', key('traveller')],
      ['impossible_travel', key('traveller')],
      ['rate_limit_violation', key('limited2')],
      ['revoked_key_in_use', key('revoked3')],
      ['secret_key_client_side', key('secret')],
      ['usage_spike', key('spiky')],
    ],
  };
}

test('the real worker raises each detector on its attack and nothing on the look-alikes, and stores the alerts', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const geo = createGeoLookup();
  expect([IPS.berlin, IPS.nuremberg, IPS.sydney, IPS.saoPaulo, IPS.london].map((ip) => geo(ip)?.country)).toEqual([
    'DE',
    'DE',
    'AU',
    'BR',
    'GB',
  ]);
  await kafka.provision();
  const target = {
    brokers: kafka.brokers,
    kafka: kafka.kafka,
    topicPrefix: kafka.prefix,
    clickhouseUrl: clickhouse.url,
    database: clickhouse.database,
    redisUrl: redis.url,
    redisPrefix: redis.prefix,
    logger,
    repoRoot,
  };
  const ch = await prepareClickHouse(target);
  const { events, expected } = scenarios();
  const producer = await createProducer(kafka.kafka);
  await produceEvents(producer, kafka.topics.authEvents, events);
  const worker = await startWorkerOn(target);
  try {
    expect(
      await poll(
        () => eventsSeen(worker),
        (n) => n >= events.length,
        30_000,
      ),
    ).toBe(events.length);
    const alerts = await collectMessages<Alert>(
      kafka.kafka,
      topicNames(kafka.prefix).securityAlerts,
      (m) => m.length >= expected.length,
      5_000,
    );
    const got = alerts
      .map((m) => [m.value?.type, m.value?.key_id ?? m.value?.ip])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(got).toEqual(expected);
    const secret = alerts.find((m) => m.value?.type === 'secret_key_client_side')?.value;
    expect(secret?.action).toBe('suspend_requested');
    const triggers = await collectMessages<{ alert_id: string; requested_action: string; key_id: string }>(
      kafka.kafka,
      kafka.topics.keyRevocationTriggers,
      (m) => m.length >= 1,
      5_000,
    );
    expect(triggers.map((t) => [t.key, t.value?.alert_id, t.value?.requested_action])).toEqual([
      [key('secret'), secret?.alert_id, 'suspend'],
    ]);
    const rows = await poll(
      () =>
        ch.query<{ alert_id: string; type: string; status: string }>(
          'SELECT alert_id, type, status FROM alerts_feed ORDER BY type',
        ),
      (r) => r.length >= expected.length,
    );
    expect(rows.map((r) => [r.type, r.status])).toEqual(expected.map(([type]) => [type, 'open']));
    expect(new Set(rows.map((r) => r.alert_id))).toEqual(new Set(alerts.map((m) => m.value?.alert_id)));
  } finally {
    await worker.close();
    await producer.close();
    await ch.close();
  }
});

// The corrections found by the independent scenarios (bench/src/eval/scenarios-independent.ts), each
// with its look-alike, through the real worker: partitions consumed concurrently, state in Redis.
function corrections(): { events: AuthEvent[]; expected: Array<[Alert['type'], string, Alert['severity']]> } {
  const events: AuthEvent[] = [];
  const k = (name: string, tenant = `tenant_${name}`) => ({
    key_id: key(name),
    tenant_id: tenant,
    key_fingerprint: fingerprint(name.length * 7919 + name.charCodeAt(0) * 31 + name.charCodeAt(1)),
  });
  const unknownKey = (n: number, ip: string) => ({
    key_id: null,
    tenant_id: null,
    ip,
    outcome: 'unknown_key' as const,
    key_fingerprint: fingerprint(n),
  });
  // credential_stuffing: + 16 keys tried twice in 14 min beside a dead key retried every 20 s (high); - the retrier alone.
  for (let i = 0; i < 16; i += 1)
    events.push(
      eventAt(T + i * 52_000, unknownKey(7000 + i, IPS.singapore)),
      eventAt(T + i * 52_000 + 30_000, unknownKey(7000 + i, IPS.singapore)),
    );
  for (let i = 0; i < 60; i += 1)
    events.push(
      eventAt(T - 2 * MINUTE + i * 20_000, unknownKey(7999, IPS.singapore)),
      eventAt(T + i * 20_000, unknownKey(8999, IPS.parkForest)),
    );
  // + a NAT attacked while five regular users work: the key new to the NAT is critical; - the regulars are not.
  for (let u = 0; u < 5; u += 1)
    events.push(
      eventAt(T - 30 * MINUTE + u * 1000, { ...k(`natuser${u}`, 'tenant_campus'), ip: IPS.strasbourg }),
      eventAt(T + 6 * MINUTE + u * 1000, { ...k(`natuser${u}`, 'tenant_campus'), ip: IPS.strasbourg }),
    );
  for (let i = 0; i < 30; i += 1) events.push(eventAt(T + i * 10_000, unknownKey(9000 + i, IPS.strasbourg)));
  events.push(eventAt(T + 7 * MINUTE, { ...k('natfound'), ip: IPS.strasbourg }));
  // rate_limit_violation: + refused for 7 minutes over two windows; - a 3-minute burst across a window boundary.
  const w0 = Math.floor(T / (5 * MINUTE)) * 5 * MINUTE;
  for (let i = 0; i < 7 * 60; i += 1)
    events.push(
      eventAt(w0 + 90_000 + i * 1000, { ...k('sustained'), outcome: i % 4 === 0 ? 'allowed' : 'rate_limited' }),
    );
  for (let i = 0; i < 3 * 60; i += 1)
    events.push(eventAt(w0 + 210_000 + i * 1000, { ...k('burst'), outcome: i % 4 === 0 ? 'allowed' : 'rate_limited' }));
  // failed_auth_spike: one scope refused 90 times from three offices is low; three scopes probed is medium.
  const offices = [IPS.berlin, IPS.london, IPS.amsterdam];
  const scopes = ['payments:write', 'keys:manage', 'audit:read'];
  for (let i = 0; i < 90; i += 1)
    events.push(
      eventAt(T + i * 20_000, {
        ...k('dashboard'),
        ip: offices[i % 3],
        outcome: 'insufficient_scope',
        scope: 'analytics:read',
      }),
    );
  for (let i = 0; i < 30; i += 1)
    events.push(
      eventAt(T + i * 20_000, { ...k('prober'), ip: IPS.sydney, outcome: 'insufficient_scope', scope: scopes[i % 3] }),
    );
  // impossible_travel: - a phone hopping between carrier IPs in two German cities; + then Sydney.
  events.push(eventAt(T - 8 * 24 * HOUR, { ...k('phone'), ip: '91.64.0.7' })); // past the learning period
  for (let i = 0; i < 40; i += 1)
    events.push(eventAt(T - 3 * HOUR + i * 4 * MINUTE, { ...k('phone'), ip: i % 2 ? '91.64.0.7' : '77.0.0.7' }));
  events.push(eventAt(T + 30 * MINUTE, { ...k('phone'), ip: IPS.sydney }));
  // revoked_key_in_use: - three uses from the IP the key worked from are low (its own CI job); + from three IPs high.
  events.push(eventAt(T - DAY, { ...k('cirevoked'), ip: IPS.london }));
  for (let i = 0; i < 3; i += 1)
    events.push(
      eventAt(T + i * 5 * MINUTE, { ...k('cirevoked'), ip: IPS.london, outcome: 'revoked_key' }),
      eventAt(T + i * 5 * MINUTE, {
        ...k('leaked'),
        ip: [IPS.sydney, IPS.saoPaulo, IPS.recife][i],
        outcome: 'revoked_key',
      }),
    );
  // usage_spike: - a quiet key's dead copy retried 120 times an hour (a low failed_auth_spike item, no spike).
  for (let h = 8 * 24; h > 0; h -= 1) events.push(eventAt(T - h * HOUR, { ...k('quiet') }));
  for (let i = 0; i < 240; i += 1) events.push(eventAt(T + i * 30_000, { ...k('quiet'), outcome: 'inactive_key' }));
  events.sort((a, b) => a.ts.localeCompare(b.ts));
  return {
    events,
    expected: [
      ['credential_stuffing', IPS.singapore, 'high'],
      ['credential_stuffing', IPS.strasbourg, 'high'],
      ['credential_stuffing', key('natfound'), 'critical'],
      ['failed_auth_spike', key('dashboard'), 'low'],
      ['failed_auth_spike', key('prober'), 'medium'],
      ['failed_auth_spike', key('quiet'), 'low'],
      ['geo_new_country', key('phone'), 'low'],
      ['impossible_travel', key('phone'), 'medium'],
      ['rate_limit_violation', key('sustained'), 'medium'],
      ['revoked_key_in_use', key('cirevoked'), 'low'],
      ['revoked_key_in_use', key('leaked'), 'high'],
    ],
  };
}

test('the corrected detectors on the real worker: hidden and NAT stuffing, sustained limits, permission failures, familiar places, stale clients', async ({
  kafka,
  redis,
  clickhouse,
  logger,
}) => {
  await kafka.provision();
  const target = {
    brokers: kafka.brokers,
    kafka: kafka.kafka,
    topicPrefix: kafka.prefix,
    clickhouseUrl: clickhouse.url,
    database: clickhouse.database,
    redisUrl: redis.url,
    redisPrefix: redis.prefix,
    logger,
    repoRoot,
  };
  const ch = await prepareClickHouse(target);
  const { events, expected } = corrections();
  const producer = await createProducer(kafka.kafka);
  await produceEvents(producer, kafka.topics.authEvents, events);
  const worker = await startWorkerOn(target);
  try {
    expect(
      await poll(
        () => eventsSeen(worker),
        (n) => n >= events.length,
        60_000,
      ),
    ).toBe(events.length);
    // The latest version of each alert: a severity rise republishes it with the same id, possibly
    // from a later batch, so reading stops only once the latest versions are the expected ones (or
    // after 10 s, and the assertion shows what was there). Stopping at the expected number of
    // distinct ids could miss the republished version behind the first.
    const latest = (messages: ReadonlyArray<{ value: Alert | null }>) =>
      [...new Map(messages.map((m) => [m.value?.alert_id, m.value])).values()]
        .map((a) => [a?.type, a?.key_id ?? a?.ip, a?.severity])
        .sort((a, b) => String(a).localeCompare(String(b)));
    const messages = await collectMessages<Alert>(
      kafka.kafka,
      topicNames(kafka.prefix).securityAlerts,
      (m) => JSON.stringify(latest(m)) === JSON.stringify(expected),
      10_000,
    );
    // On a mismatch, every version of every alert in topic order (with partition and offset) says
    // whether a severity was never reached or was overtaken by an older version.
    const history = messages.map(
      (m) =>
        `${m.value?.type}/${m.value?.key_id ?? m.value?.ip}: ${m.value?.severity} (count ${String(m.value?.evidence.count)}) @${m.partition}:${m.offset}`,
    );
    expect(latest(messages), history.join('\n')).toEqual(expected);
    const triggers = await collectMessages<{ key_id: string; requested_action: string }>(
      kafka.kafka,
      kafka.topics.keyRevocationTriggers,
      (m) => m.length >= 1,
      3_000,
    );
    expect(triggers.map((t) => [t.value?.key_id, t.value?.requested_action])).toEqual([[key('natfound'), 'revoke']]);
  } finally {
    await worker.close();
    await producer.close();
    await ch.close();
  }
});
