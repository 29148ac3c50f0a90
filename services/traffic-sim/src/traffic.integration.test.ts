import { AuthEvent, validate } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import { collectMessages, describe, expect, test } from '@keywatch/testkit';
import { startTestGateway } from '@keywatch/gateway/testing';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { produceSyntheticEvents } from './kafka-mode.js';
import { createKeyServiceClient } from './keys-client.js';
import { ATTACKS, runHttpSimulation } from './traffic.js';

describe('traffic simulator', () => {
  test(
    'sends normal traffic and every attack through a real gateway, visible as auth events',
    { timeout: 120_000 },
    async ({ kafka, redis, logger }) => {
      const ks = await startTestKeyService({ kafka, redis, logger });
      const gateway = await startTestGateway({ kafka, redis, logger });
      try {
        const report = await runHttpSimulation({
          gatewayUrl: gateway.url,
          keys: createKeyServiceClient(ks.url, ks.rootKey),
          logger,
          tenants: 2,
          keysPerTenant: 2,
          rps: 40,
          durationMs: 4500,
          dayLengthMs: 1000,
          attacks: ATTACKS,
        });
        expect(report.failed).toBe(0);
        for (const attack of ATTACKS) expect(report.byScenario[attack], attack).toBeGreaterThan(0);
        const messages = await collectMessages<AuthEvent>(
          kafka.kafka,
          kafka.topics.authEvents,
          (all) => all.filter((m) => m.value?.gateway_id === gateway.gatewayId).length >= report.sent,
          45_000,
        );
        const events = messages.map((m) => m.value!).filter((e) => e.gateway_id === gateway.gatewayId);
        expect(events).toHaveLength(report.sent);
        const outcomes = new Set(events.map((e) => e.outcome));
        for (const outcome of [
          'allowed',
          'unknown_key',
          'malformed_key',
          'revoked_key',
          'inactive_key',
          'ip_not_allowed',
          'insufficient_scope',
          'rate_limited',
        ] as const)
          expect(outcomes, outcome).toContain(outcome);
        // Occasional 4xx from the upstream, secret keys from a browser origin, many client addresses.
        expect(events.some((e) => e.outcome === 'allowed' && e.status === 404)).toBe(true);
        expect(events.some((e) => e.key_type === 'secret' && e.origin !== null && e.outcome === 'allowed')).toBe(true);
        expect(new Set(events.map((e) => e.ip)).size).toBeGreaterThan(5);
      } finally {
        await gateway.close();
        await ks.close();
      }
    },
  );

  test('writes valid auth events straight to Kafka at a target rate, with event times in the past', async ({
    kafka,
  }) => {
    await kafka.provision();
    const producer = await createProducer(kafka.kafka);
    try {
      const before = Date.now();
      const result = await produceSyntheticEvents({
        producer,
        topic: kafka.topics.authEvents,
        rate: 2000,
        count: 1000,
        backfillMs: 3_600_000,
      });
      expect(result.sent).toBe(1000);
      const messages = await collectMessages(kafka.kafka, kafka.topics.authEvents, (all) => all.length >= 1000);
      expect(messages).toHaveLength(1000);
      const times = messages.map((m) => {
        const parsed = validate(AuthEvent, m.value);
        expect(parsed.ok).toBe(true);
        return parsed.ok ? Date.parse(parsed.value.ts) : 0;
      });
      expect(Math.min(...times)).toBeLessThan(before - 3_500_000);
      expect(Math.max(...times)).toBeLessThanOrEqual(Date.now());
    } finally {
      await producer.close();
    }
  });
});
