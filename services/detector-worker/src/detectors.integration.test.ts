import { topicNames, type Alert, type AuthEvent } from '@keywatch/contracts';
import { collectMessages, expect, repoRoot, test } from '@keywatch/testkit';
import { createGeoLookup } from './geo.js';
import { DAY, HOUR, MINUTE } from './params.js';
import { createProducer, eventsSeen, poll, prepareClickHouse, produceEvents, startWorkerOn } from './stack.js';
import { IPS, eventAt, fingerprint } from './testing.js';

// One timeline for every scenario, as live traffic has: history over eight days, then the
// attacks and their benign look-alikes around T, each on its own key, IP and tenant.
const T = Date.parse('2026-03-09T10:02:30.000Z');
const key = (name: string) => `key_${name}`.padEnd(24, '0');

function scenarios(): { events: AuthEvent[]; expected: Array<[Alert['type'], string]> } {
  const events: AuthEvent[] = [];
  const k = (name: string, tenant = `tenant_${name}`) => ({ key_id: key(name), tenant_id: tenant, key_fingerprint: fingerprint(name.length * 7919 + name.charCodeAt(0)) });
  // secret_key_client_side: + secret key with Origin; - publishable key with Origin.
  events.push(eventAt(T, { ...k('secret'), key_type: 'secret', origin: 'https://shop.example' }));
  events.push(eventAt(T, { ...k('public'), key_type: 'publishable', origin: 'https://shop.example', scope: 'bundles:read' }));
  // credential_stuffing: + 12 distinct unknown keys from one IP; - one stale unknown key retried 40 times.
  for (let i = 0; i < 12; i += 1) events.push(eventAt(T + i * 10_000, { key_id: null, tenant_id: null, ip: IPS.saoPaulo, outcome: 'unknown_key', key_fingerprint: fingerprint(1000 + i) }));
  for (let i = 0; i < 40; i += 1) events.push(eventAt(T + i * 10_000, { key_id: null, tenant_id: null, ip: IPS.london, outcome: 'unknown_key', key_fingerprint: fingerprint(5) }));
  // revoked_key_in_use: + three uses in an hour; - two.
  for (let i = 0; i < 3; i += 1) events.push(eventAt(T + i * 5 * MINUTE, { ...k('revoked3'), outcome: 'revoked_key' }));
  for (let i = 0; i < 2; i += 1) events.push(eventAt(T + i * 5 * MINUTE, { ...k('revoked2'), outcome: 'revoked_key' }));
  // rate_limit_violation: + 55 rejections in each of two 5-minute windows; - in one window only.
  const w0 = Math.floor(T / (5 * MINUTE)) * 5 * MINUTE;
  for (let i = 0; i < 55; i += 1) events.push(eventAt(w0 + i * 5_000, { ...k('limited2'), outcome: 'rate_limited' }), eventAt(w0 + 5 * MINUTE + i * 5_000, { ...k('limited2'), outcome: 'rate_limited' }));
  for (let i = 0; i < 55; i += 1) events.push(eventAt(w0 + i * 5_000, { ...k('limited1'), outcome: 'rate_limited' }));
  // failed_auth_spike: + 25 failures in 12 minutes; - 15.
  for (let i = 0; i < 25; i += 1) events.push(eventAt(T + i * 30_000, { ...k('failing25'), outcome: 'insufficient_scope' }));
  for (let i = 0; i < 15; i += 1) events.push(eventAt(T + i * 30_000, { ...k('failing15'), outcome: 'insufficient_scope' }));
  // impossible_travel and geo_new_country: + ten uses in Berlin, then Sydney; - ten in Berlin, then Nuremberg.
  for (const [name, far] of [['traveller', IPS.sydney], ['driver', IPS.nuremberg]] as const) {
    for (let i = 0; i < 10; i += 1) events.push(eventAt(T + i * MINUTE, { ...k(name), ip: IPS.berlin }));
    events.push(eventAt(T + 60 * MINUTE, { ...k(name), ip: far }));
  }
  // usage_spike: a week at 10 requests an hour, then + 300 in an hour; - 20 in an hour.
  for (const [name, burst] of [['spiky', 300], ['doubling', 20]] as const) {
    for (let h = 8 * 24; h > 0; h -= 1) for (let i = 0; i < 10; i += 1) events.push(eventAt(T - h * HOUR + i * 6 * MINUTE, { ...k(name) }));
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

test('the real worker raises each detector on its attack and nothing on the look-alikes, and stores the alerts', async ({ kafka, clickhouse, redis, logger }) => {
  const geo = createGeoLookup();
  expect([IPS.berlin, IPS.nuremberg, IPS.sydney, IPS.saoPaulo, IPS.london].map((ip) => geo(ip)?.country)).toEqual(['DE', 'DE', 'AU', 'BR', 'GB']);
  await kafka.provision();
  const target = { brokers: kafka.brokers, kafka: kafka.kafka, topicPrefix: kafka.prefix, clickhouseUrl: clickhouse.url, database: clickhouse.database, redisUrl: redis.url, redisPrefix: redis.prefix, logger, repoRoot };
  const ch = await prepareClickHouse(target);
  const { events, expected } = scenarios();
  const producer = await createProducer(kafka.kafka);
  await produceEvents(producer, kafka.topics.authEvents, events);
  const worker = await startWorkerOn(target);
  try {
    expect(await poll(() => eventsSeen(worker), (n) => n >= events.length, 30_000)).toBe(events.length);
    const alerts = await collectMessages<Alert>(kafka.kafka, topicNames(kafka.prefix).securityAlerts, (m) => m.length >= expected.length, 5_000);
    const got = alerts.map((m) => [m.value?.type, m.value?.key_id ?? m.value?.ip]).sort((a, b) => String(a).localeCompare(String(b)));
    expect(got).toEqual(expected);
    const secret = alerts.find((m) => m.value?.type === 'secret_key_client_side')?.value;
    expect(secret?.action).toBe('suspend_requested');
    const triggers = await collectMessages<{ alert_id: string; requested_action: string; key_id: string }>(kafka.kafka, kafka.topics.keyRevocationTriggers, (m) => m.length >= 1, 5_000);
    expect(triggers.map((t) => [t.key, t.value?.alert_id, t.value?.requested_action])).toEqual([[key('secret'), secret?.alert_id, 'suspend']]);
    const rows = await poll(
      () => ch.query<{ alert_id: string; type: string; status: string }>('SELECT alert_id, type, status FROM alerts_feed ORDER BY type'),
      (r) => r.length >= expected.length,
    );
    expect(rows.map((r) => [r.type, r.status])).toEqual(expected.map(([type]) => [type, 'open']));
    expect(new Set(rows.map((r) => r.alert_id))).toEqual(new Set(alerts.map((m) => m.value?.alert_id)));
  } finally {
    await worker.close();
    await producer.close();
    await ch.close();
  }
  // Lint: DAY is part of the timeline's vocabulary above.
  void DAY;
});
