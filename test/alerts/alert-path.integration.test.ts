import { describe, expect, repoRoot, test } from '@keywatch/testkit';
import { startAlertPipeline } from '../support/alert-pipeline.js';

describe('alert path end to end', () => {
  test('a secret key sent from a browser through the reference gateway arrives at the webhook as a signed secret_key_client_side alert', async ({
    kafka,
    redis,
    clickhouse,
    logger,
  }) => {
    const pipeline = await startAlertPipeline({ kafka, redis, clickhouse, logger, repoRoot });
    try {
      const first = await pipeline.attack(1, 90_000);
      expect(first.signatureValid).toBe(true);
      expect(first.alert).toMatchObject({
        type: 'secret_key_client_side',
        severity: 'high',
        tenant_id: pipeline.tenant,
        key_id: pipeline.keyId,
      });
      const second = await pipeline.attack(2, 90_000);
      expect(second.alert.alert_id).not.toBe(first.alert.alert_id);
      // Figures, not assertions: the benchmark (`keywatch bench alerts`) reports p50/p99.
      logger.info({ latency_ms: [first.latencyMs, second.latencyMs] }, 'attack → delivery');
    } finally {
      await pipeline.close();
    }
  }, 240_000);
});
