import { Writable } from 'node:stream';
import { createLogger } from '@keywatch/logger';
import { describe, expect, test } from '@keywatch/testkit';
import { pollUntil, startWebhookStack, testAlert } from './testing.js';

describe('notifier logs', () => {
  test('never contain a webhook secret, a signature or a destination path', async ({ kafka, redis }) => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ name: 'test', level: 'trace', destination });
    const env = await startWebhookStack({ kafka, redis, logger }, 'tenant_dev_logs', {
      NOTIFIER_ATTEMPTS: '2',
      NOTIFIER_BACKOFF: '50ms',
    });
    try {
      const rotated = await env.ks.call<{ secret: string }>(
        'POST',
        `/v1/webhooks/${env.hookId}/rotate-secret`,
        env.ks.rootKey,
        {},
      );
      await env.publish(testAlert('tenant_dev_logs'));
      expect(await pollUntil(() => env.receiver.requests.length >= 1, 60_000)).toBe(true);
      env.receiver.setStatus(503);
      await env.publish(testAlert('tenant_dev_logs'));
      expect(await pollUntil(async () => (await env.deliveries('failed')).length === 1, 60_000)).toBe(true);
      const signature = String(env.receiver.requests[0]!.headers['keywatch-signature']);
      const text = lines.join('');
      expect(text).toContain('delivered');
      expect(text).toContain('dead letter');
      for (const secret of [env.secret, rotated.body.secret]) expect(text).not.toContain(secret.slice(6));
      expect(text).not.toContain('whsec_');
      for (const part of signature.split(',').filter((p) => p.startsWith('v1=')))
        expect(text).not.toContain(part.slice(3));
      // Destination paths can carry a token (Slack's do): logs show the origin only.
      expect(text).not.toContain('/hook');
    } finally {
      await env.close();
    }
  }, 120_000);
});
