import { type Alert, type AuthEvent } from '@keywatch/contracts';
import {
  collectMessages,
  createProducer,
  expect,
  poll,
  prepareClickHouse,
  produceEvents,
  repoRoot,
  test,
  type Fixtures,
  type StackTarget,
} from '@keywatch/testkit';
import { MINUTE } from './params.js';
import { IPS, eventAt, eventsSeen, fingerprint, startWorkerOn } from './testing.js';

const T = Date.parse('2026-03-09T10:02:30.000Z');
const KEY = {
  key_id: 'key_props0000000000000000',
  tenant_id: 'tenant_props',
  key_fingerprint: 'bbbbbbbbbbbbbbbb',
} as const;

function targetOf(
  { kafka, clickhouse, redis, logger }: Pick<Fixtures, 'kafka' | 'clickhouse' | 'redis' | 'logger'>,
  redisPrefix = redis.prefix,
): StackTarget {
  return {
    brokers: kafka.brokers,
    kafka: kafka.kafka,
    topicPrefix: kafka.prefix,
    clickhouseUrl: clickhouse.url,
    database: clickhouse.database,
    redisUrl: redis.url,
    redisPrefix,
    logger,
    repoRoot,
  };
}

/** An IP trying `n` distinct unknown keys, one every `everyMs`, from `at`. */
const stuffing = (ip: string, n: number, at: number, everyMs = 5_000, offset = 0): AuthEvent[] =>
  Array.from({ length: n }, (_, i) =>
    eventAt(at + i * everyMs, {
      key_id: null,
      tenant_id: null,
      ip,
      outcome: 'unknown_key',
      key_fingerprint: fingerprint(offset + i),
    }),
  );

async function alertsOn(fixtures: Pick<Fixtures, 'kafka'>, atLeast: number, timeoutMs = 4_000): Promise<Alert[]> {
  const messages = await collectMessages<Alert>(
    fixtures.kafka.kafka,
    fixtures.kafka.topics.securityAlerts,
    (m) => m.length >= atLeast,
    timeoutMs,
  );
  return messages.flatMap((m) => (m.value ? [m.value] : []));
}

test('repeats update one alert (count and evidence in ClickHouse) instead of raising new ones', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const fixtures = { kafka, clickhouse, redis, logger };
  await kafka.provision();
  const target = targetOf(fixtures);
  const ch = await prepareClickHouse(target);
  const producer = await createProducer(kafka.kafka);
  const worker = await startWorkerOn(target);
  try {
    const first = [0, 1, 2].map((i) =>
      eventAt(T + i * 1000, { ...KEY, key_type: 'secret', origin: 'https://app.example' }),
    );
    await produceEvents(producer, kafka.topics.authEvents, first);
    await poll(
      () => eventsSeen(worker),
      (n) => n >= 3,
    );
    const repeats = [3, 4, 5, 6].map((i) =>
      eventAt(T + i * MINUTE, { ...KEY, key_type: 'secret', origin: 'https://app.example' }),
    );
    await produceEvents(producer, kafka.topics.authEvents, repeats);
    await poll(
      () => eventsSeen(worker),
      (n) => n >= 7,
    );
    const alerts = await alertsOn(fixtures, 2, 3_000);
    expect(alerts).toHaveLength(1);
    const rows = await poll(
      () =>
        ch.query<{ alert_id: string; count: number; window_end: string }>(
          'SELECT alert_id, count, toString(window_end) AS window_end FROM alerts_feed',
        ),
      (r) => r[0]?.count === 7,
    );
    expect(rows).toEqual([{ alert_id: alerts[0]?.alert_id, count: 7, window_end: '2026-03-09 10:08:30' }]);
  } finally {
    await worker.close();
    await producer.close();
    await ch.close();
  }
});

test('late events within the lateness count; later ones are dropped', async ({ kafka, clickhouse, redis, logger }) => {
  const fixtures = { kafka, clickhouse, redis, logger };
  await kafka.provision();
  const target = targetOf(fixtures);
  const producer = await createProducer(kafka.kafka);
  const worker = await startWorkerOn(target);
  try {
    const now = eventAt(T + 10 * MINUTE, { ...KEY });
    // Two revoked uses 45 s behind the key's latest event (counted), two 5 minutes behind (dropped).
    const withinLateness = [0, 1].map((i) => eventAt(T + 10 * MINUTE - 45_000 + i, { ...KEY, outcome: 'revoked_key' }));
    const tooLate = [0, 1].map((i) => eventAt(T + 5 * MINUTE + i, { ...KEY, outcome: 'revoked_key' }));
    await produceEvents(producer, kafka.topics.authEvents, [now, ...withinLateness, ...tooLate]);
    await poll(
      () => eventsSeen(worker),
      (n) => n >= 5,
    );
    expect(await alertsOn(fixtures, 1, 1_500)).toEqual([]);
    // The third use is on time: with the two late-but-allowed ones it makes three.
    await produceEvents(producer, kafka.topics.authEvents, [
      eventAt(T + 10 * MINUTE + 1000, { ...KEY, outcome: 'revoked_key' }),
    ]);
    const alerts = await alertsOn(fixtures, 1);
    expect(alerts.map((a) => [a.type, a.evidence.uses])).toEqual([['revoked_key_in_use', 3]]);
    const metrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    expect(metrics).toContain('keywatch_detector_events_total{result="late"} 2');
  } finally {
    await worker.close();
    await producer.close();
  }
});

test('replaying the same events gives the same alert ids: no new alerts on the same state, the same ids on fresh state', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const fixtures = { kafka, clickhouse, redis, logger };
  await kafka.provision();
  const producer = await createProducer(kafka.kafka);
  const events = [
    ...stuffing(IPS.saoPaulo, 30, T),
    ...[0, 1, 2].map((i) => eventAt(T + i * 1000, { ...KEY, key_type: 'secret', origin: 'null' })),
    ...[0, 1, 2, 3].map((i) =>
      eventAt(T + i * MINUTE, { ...KEY, key_id: 'key_revoked000000000000', outcome: 'revoked_key' }),
    ),
  ].sort((a, b) => a.ts.localeCompare(b.ts));
  await produceEvents(producer, kafka.topics.authEvents, events);
  const worker = await startWorkerOn(targetOf(fixtures));
  let firstIds: string[];
  try {
    await poll(
      () => eventsSeen(worker),
      (n) => n >= events.length,
    );
    const first = await alertsOn(fixtures, 4);
    firstIds = [...new Set(first.map((a) => a.alert_id))].sort();
    expect(first.map((a) => `${a.type}:${a.severity}`).sort()).toEqual([
      'credential_stuffing:high',
      'credential_stuffing:medium',
      'revoked_key_in_use:medium',
      'secret_key_client_side:high',
    ]);
    expect(firstIds).toHaveLength(3);
    // The same events again (same ids, same times) on the same state: nothing new.
    await produceEvents(producer, kafka.topics.authEvents, events);
    await poll(
      () => eventsSeen(worker),
      (n) => n >= 2 * events.length,
    );
    expect(await alertsOn(fixtures, 5, 1_500)).toHaveLength(4);
  } finally {
    await worker.close();
  }
  // A second deployment replaying the topic from the start on empty state raises the same alerts.
  const replay = await startWorkerOn(targetOf(fixtures, `${redis.prefix}replay:`));
  try {
    await poll(
      () => eventsSeen(replay),
      (n) => n >= 2 * events.length,
    );
    const all = await alertsOn(fixtures, 8);
    expect([...new Set(all.map((a) => a.alert_id))].sort()).toEqual(firstIds);
  } finally {
    await replay.close();
    await producer.close();
  }
});

test('two instances and a rebalance in the middle of an attack raise each alert once', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const fixtures = { kafka, clickhouse, redis, logger };
  await kafka.provision({ maxPartitions: 6 });
  const producer = await createProducer(kafka.kafka);
  const target = targetOf(fixtures);
  const group = { DETECTOR_GROUP_ID: `detector-pair-${Date.now()}` };
  const a = await startWorkerOn(target, group);
  const b = await startWorkerOn(target, group);
  try {
    // The attack's keys hash over every partition, so both instances update one IP's window.
    const attack = stuffing(IPS.singapore, 40, T, 5_000, 0);
    const secret = [0, 1, 2, 3, 4, 5].map((i) =>
      eventAt(T + i * 20_000, { ...KEY, key_type: 'secret', origin: 'https://x.example' }),
    );
    const timeline = [...attack, ...secret].sort((x, y) => x.ts.localeCompare(y.ts));
    const half = Math.floor(timeline.length / 2);
    await produceEvents(producer, kafka.topics.authEvents, timeline.slice(0, half));
    await poll(
      async () => (await eventsSeen(a)) + (await eventsSeen(b)),
      (n) => n >= half,
    );
    // Instance a leaves mid-attack: b takes over its partitions (a's last batch is committed).
    await a.close();
    await produceEvents(producer, kafka.topics.authEvents, timeline.slice(half));
    await poll(
      async () => (await eventsSeen(b)) + half,
      (n) => n >= timeline.length,
      25_000,
    );
    const alerts = await alertsOn(fixtures, 4, 3_000);
    const byType = new Map<string, Set<string>>();
    for (const alert of alerts) byType.set(alert.type, (byType.get(alert.type) ?? new Set()).add(alert.alert_id));
    expect([...byType.entries()].map(([type, ids]) => [type, ids.size]).sort()).toEqual([
      ['credential_stuffing', 1],
      ['secret_key_client_side', 1],
    ]);
    // Two instances may both publish the same (alert_id, severity) in a race: at least once on the topic, once by id.
    expect([...new Set(alerts.filter((x) => x.type === 'credential_stuffing').map((x) => x.severity))]).toEqual([
      'medium',
      'high',
    ]);
  } finally {
    await a.close();
    await b.close();
    await producer.close();
  }
});
