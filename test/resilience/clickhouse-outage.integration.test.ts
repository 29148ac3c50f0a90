import type { Alert, AuthEvent } from '@keywatch/contracts';
import { collectMessages, expect, groupLag, poll, repoRoot, startProxy, test } from '@keywatch/testkit';
import { eventAt, fingerprint, IPS, memoryDetector, startWorkerOn } from '@keywatch/detector-worker/testing';
import { countsIn, expectedCounts, knownEvents, rollupTotal, setupIngest } from '@keywatch/ingest-worker/testing';

// ClickHouse unreachable mid-stream (a TCP proxy in front of the shared server is cut: connections
// reset, new ones refused) while the ingest worker AND the detector worker consume the same topic;
// then reachable again. Exact accounting at the end: every event counted once in every table the
// analytics API reads, every attack alert raised once on the topic and stored once.

test('ClickHouse away and back under ingest + detector: every event counted once, every alert raised once', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  const ctx = await setupIngest({ kafka, clickhouse, logger }, { maxPartitions: 3 });
  const chAddress = new URL(clickhouse.url);
  const proxy = await startProxy({ host: chAddress.hostname, port: Number(chAddress.port) });
  const admin = kafka.kafka.admin();
  await admin.connect();
  const now = Date.now();
  const benign = knownEvents(6_000, { tenants: 2, now });
  const attacks: AuthEvent[] = [];
  const attackAlerts: string[] = [];
  for (let a = 0; a < 4; a += 1) {
    const key = `key_outagesecret${a}`.padEnd(24, '0');
    attacks.push(
      eventAt(now - 60_000 + a * 1_000, {
        key_id: key,
        tenant_id: 'tenant_t0',
        key_type: 'secret',
        origin: 'https://shop.example',
        ip: '10.20.30.40',
      }),
    );
    attackAlerts.push(`secret_key_client_side ${key}`);
  }
  for (let i = 0; i < 12; i += 1)
    attacks.push(
      eventAt(now - 120_000 + i * 5_000, {
        key_id: null,
        tenant_id: null,
        ip: IPS.saoPaulo,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(80_000 + i),
      }),
    );
  attackAlerts.push(`credential_stuffing ${IPS.saoPaulo}`);
  const all = [...benign.slice(0, 2_000), ...attacks.slice(0, 2), ...benign.slice(2_000), ...attacks.slice(2)];
  // The alerts a fault-free run raises on the same events (the engine over memory, fed in order):
  // the attacks above, and the failed-auth spikes the benign mix's failures add.
  const reference = memoryDetector();
  await reference.feed(all);
  const expectedAlerts = reference.alerts().map((a) => `${a.type} ${a.key_id ?? a.ip}`);
  for (const attack of attackAlerts) expect(expectedAlerts).toContain(attack);
  const produce = async (slice: readonly AuthEvent[]) => {
    for (let i = 0; i < slice.length; i += 500)
      await ctx.producer.send(
        kafka.topics.authEvents,
        slice.slice(i, i + 500).map((e) => ({ key: e.key_id ?? e.ip, value: JSON.stringify(e) })),
      );
  };
  const target = {
    brokers: kafka.brokers,
    kafka: kafka.kafka,
    topicPrefix: kafka.prefix,
    clickhouseUrl: proxy.url,
    database: clickhouse.database,
    redisUrl: redis.url,
    redisPrefix: redis.prefix,
    logger,
    repoRoot,
  };
  const detectorGroup = `detector-outage-${kafka.prefix}`;
  const detector = await startWorkerOn(target, { DETECTOR_GROUP_ID: detectorGroup });
  try {
    await ctx.startWorker({ CLICKHOUSE_URL: proxy.url, INGEST_BATCH_MAX_ROWS: '500', INGEST_RETRY_MIN_DELAY: '100ms' });
    await produce(all.slice(0, 2_002));
    await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= 1_000,
      30_000,
    );

    await proxy.cut();
    await produce(all.slice(2_002));
    // The outage lasts while the rest is produced and a little longer: both workers hit it.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await rollupTotal(ctx.ch)).toBeLessThan(all.length);
    await proxy.restore();

    const lags = async () => ({
      ingest: await groupLag(admin, ctx.groupId, kafka.topics.authEvents),
      detector: await groupLag(admin, detectorGroup, kafka.topics.authEvents),
    });
    expect(await poll(lags, (l) => l.ingest === 0 && l.detector === 0, 60_000, 500)).toEqual({
      ingest: 0,
      detector: 0,
    });
    const counted = await poll(
      () => rollupTotal(ctx.ch),
      (n) => n >= all.length,
      15_000,
    );
    expect(counted).toBe(all.length);
    // Per key, outcome, country and route (the unknown-key attempts have no key: counted in the total above).
    const expected = expectedCounts(all.filter((e) => e.key_id !== null));
    const keyed = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).filter(([k]) => k.startsWith('key_')));
    for (const source of ['raw', '1m', '1h', '1d'] as const)
      expect(keyed(await countsIn(ctx.ch, source)), source).toEqual(expected);

    const alerts = await collectMessages<Alert>(
      kafka.kafka,
      kafka.topics.securityAlerts,
      (m) => new Set(m.map((a) => a.value?.alert_id)).size >= expectedAlerts.length,
      15_000,
    );
    const byId = new Map(alerts.map((m) => [m.value?.alert_id, m.value]));
    expect([...byId.values()].map((a) => `${a?.type} ${a?.key_id ?? a?.ip}`).sort()).toEqual(
      [...expectedAlerts].sort(),
    );
    const rows = await poll(
      () =>
        ctx.ch.query<{ alert_id: string; n: string }>(
          'SELECT alert_id, count() AS n FROM alerts_feed GROUP BY alert_id',
        ),
      (r) => r.length >= expectedAlerts.length,
      15_000,
    );
    expect(rows.map((r) => [r.alert_id, Number(r.n)]).sort()).toEqual([...byId.keys()].map((id) => [id, 1]).sort());
  } finally {
    await detector.close();
    await ctx.close();
    await admin.disconnect();
    await proxy.close();
  }
}, 150_000);
