import { AuthEvent, decodeJson, exampleAuthEvent, topicNames, type Alert } from '@keywatch/contracts';
import type { OutgoingMessage } from '@keywatch/kafka';
import { collectMessages, createProducer, expect, poll, repoRoot, scrape, sumOf, test } from '@keywatch/testkit';
import fc from 'fast-check';
import { eventAt, fingerprint, IPS, startWorkerOn } from '@keywatch/detector-worker/testing';
import { FUZZ_SEED } from '../support/hostile.js';

// The event topic with random bytes, for the detector (the ingest worker's side is
// services/ingest-worker/src/dlq-fuzz.integration.test.ts): every malformed message is counted as
// invalid and skipped, every valid event is processed, and the attacks among them raise their
// alerts exactly once.

const FIELDS = Object.keys(exampleAuthEvent());

/** Malformed messages from the fixed seed: random bytes, truncated JSON, wrong types, a missing field, JSON that is not an object. */
function malformedMessages(count: number): Buffer[] {
  const valid = JSON.stringify(exampleAuthEvent());
  const message = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
    fc.nat({ max: valid.length - 1 }).map((n) => Buffer.from(valid.slice(0, n))),
    fc
      .tuple(fc.constantFrom(...FIELDS), fc.constantFrom<unknown>([], {}, true, -1, 'x'.repeat(5000), null))
      .map(([field, value]) => Buffer.from(JSON.stringify({ ...exampleAuthEvent(), [field]: value }))),
    fc.constantFrom(...FIELDS).map((field) => {
      const event: Record<string, unknown> = { ...exampleAuthEvent() };
      delete event[field];
      return Buffer.from(JSON.stringify(event));
    }),
    fc.constantFrom('null', '[]', '42', '"event"', '{}', '\u0000', '{"v":2}').map((text) => Buffer.from(text)),
  );
  return fc.sample(message, { seed: FUZZ_SEED, numRuns: count });
}

test('random bytes on auth-events: counted invalid and skipped, valid events all processed, attacks alerted once', async ({
  kafka,
  clickhouse,
  redis,
  logger,
}) => {
  await kafka.provision({ maxPartitions: 3 });
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
  const bad = malformedMessages(3_000).filter((bytes) => !isValidEvent(bytes));
  const now = Date.now();
  const valid: AuthEvent[] = [];
  // Attacks: a secret key used from a browser (one alert per key), and credential stuffing from one IP.
  const secretKeys = Array.from({ length: 5 }, (_, i) => `key_fuzzsecret${i}`.padEnd(24, '0'));
  for (const key of secretKeys)
    valid.push(
      eventAt(now - 60_000, {
        key_id: key,
        tenant_id: 'tenant_fuzz',
        key_type: 'secret',
        origin: 'https://shop.example',
      }),
    );
  for (let i = 0; i < 12; i += 1)
    valid.push(
      eventAt(now - 120_000 + i * 5_000, {
        key_id: null,
        tenant_id: null,
        ip: IPS.saoPaulo,
        outcome: 'unknown_key',
        key_fingerprint: fingerprint(90_000 + i),
      }),
    );
  // Benign traffic.
  for (let i = 0; i < 500; i += 1)
    valid.push(
      eventAt(now - 300_000 + i * 500, {
        key_id: `key_fuzzbenign${i % 7}`.padEnd(24, '0'),
        tenant_id: 'tenant_fuzz',
        ip: IPS.berlin,
      }),
    );

  const messages: OutgoingMessage[] = [];
  const ordered = [...valid].sort((a, b) => a.ts.localeCompare(b.ts));
  for (let i = 0, j = 0; i < ordered.length || j < bad.length;) {
    if (j < bad.length)
      messages.push(
        { key: `bad-${j}`, value: bad[j++]! },
        ...(j < bad.length ? [{ key: `bad-${j}`, value: bad[j++]! }] : []),
      );
    const e = ordered[i++];
    if (e) messages.push({ key: e.key_id ?? e.ip, value: JSON.stringify(e) });
  }
  const producer = await createProducer(kafka.kafka);
  for (let i = 0; i < messages.length; i += 500)
    await producer.send(kafka.topics.authEvents, messages.slice(i, i + 500));
  await producer.close();

  const worker = await startWorkerOn(target);
  try {
    // Both counts from one scrape, so they describe the same moment.
    const seen = async () => {
      const text = await scrape(worker.metricsUrl);
      return {
        invalid: sumOf(text, 'keywatch_detector_events_total', { result: 'invalid' }),
        all: sumOf(text, 'keywatch_detector_events_total'),
      };
    };
    const counted = await poll(seen, (c) => c.all >= valid.length + bad.length, 60_000, 250);
    expect(counted).toEqual({ invalid: bad.length, all: valid.length + bad.length });
    const alerts = await collectMessages<Alert>(
      kafka.kafka,
      topicNames(kafka.prefix).securityAlerts,
      (m) => m.length >= secretKeys.length + 1,
      10_000,
    );
    const raised = alerts.map((m) => `${m.value?.type} ${m.value?.key_id ?? m.value?.ip}`).sort();
    expect(raised).toEqual(
      [`credential_stuffing ${IPS.saoPaulo}`, ...secretKeys.map((k) => `secret_key_client_side ${k}`)].sort(),
    );
    expect(new Set(alerts.map((m) => m.value?.alert_id)).size).toBe(alerts.length);
  } finally {
    await worker.close();
  }
}, 120_000);

/** A fuzzed message the contract accepts (e.g. `origin: null`) is an event, not garbage: left out. */
function isValidEvent(bytes: Buffer): boolean {
  return decodeJson(AuthEvent, bytes).ok;
}
