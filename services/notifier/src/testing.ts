import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '@keywatch/config';
import { alertMessageKey, newEventId, toEventTime, type Alert } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import type { Logger } from '@keywatch/logger';
import type { KafkaFixture, RedisFixture } from '@keywatch/testkit';
import type { Delivery } from '@keywatch/webhooks';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { notifierConfig } from './config.js';
import { startNotifier, type Notifier } from './service.js';

// Test support (integration tests and the benchmark): a webhook receiver, a notifier on the
// test's topics and Redis prefix, alerts. Not used by the service itself.

/** The deployment secret the tests give the key service and the notifier. */
export const TEST_SECRETS_KEY = 'test-secrets-key-0123456789abcdef0123456789';

/** What the key service and the notifier must share in a test. */
export function sharedWebhookEnv(redis: RedisFixture): Record<string, string> {
  return {
    KEYWATCH_SECRETS_KEY: TEST_SECRETS_KEY,
    KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'true',
    KEYWATCH_NOTIFIER_QUEUE_PREFIX: `${redis.prefix}{notifier}`,
  };
}

/** A notifier over the test's own topics, Redis prefix and queue prefix (`<prefix>{notifier}`, cleaned with the fixture). */
export async function startTestNotifier(
  fixtures: { kafka: KafkaFixture; redis: RedisFixture; logger: Logger },
  env: Record<string, string> = {},
): Promise<Notifier> {
  const config = parseConfig(notifierConfig, {
    KAFKA_BROKERS: fixtures.kafka.brokers.join(','),
    REDIS_URL: fixtures.redis.url,
    KEYWATCH_TOPIC_PREFIX: fixtures.kafka.prefix,
    NOTIFIER_REDIS_PREFIX: fixtures.redis.prefix,
    NOTIFIER_GROUP_ID: `notifier-${newEventId()}`,
    NOTIFIER_METRICS_PORT: '0',
    NOTIFIER_BACKOFF: '200ms',
    NOTIFIER_TIMEOUT: '3s',
    ...sharedWebhookEnv(fixtures.redis),
    ...env,
  });
  return startNotifier(config, fixtures.logger);
}

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Wall-clock ms of arrival. */
  at: number;
}

/**
 * A local webhook receiver (node:http on 127.0.0.1): records every request; answers `status`
 * (default 200) after `setDelay` ms (default 0); `stop()` closes the port (connection refused) and `start()` reopens it on the same
 * port, to simulate an outage.
 */
export async function startTestReceiver() {
  const requests: ReceivedRequest[] = [];
  let status = 200;
  let delayMs = 0;
  const listeners = new Set<(r: ReceivedRequest) => void>();
  let server: Server | undefined;
  let port = 0;
  const open = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received = { headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        requests.push(received);
        for (const listener of listeners) listener(received);
        const answer = status;
        setTimeout(
          () => res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no'),
          delayMs,
        );
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await open();
  return {
    get url() {
      return `http://127.0.0.1:${port}/hook`;
    },
    requests,
    /** Alerts received (parsed bodies). */
    bodies: () => requests.map((r) => JSON.parse(r.rawBody) as Record<string, unknown>),
    setStatus(next: number) {
      status = next;
    },
    /** Answers only after `ms` (a slow receiver). */
    setDelay(ms: number) {
      delayMs = ms;
    },
    onRequest(listener: (r: ReceivedRequest) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start: open,
    stop,
    close: stop,
  };
}

export type TestReceiver = Awaited<ReturnType<typeof startTestReceiver>>;

/** A valid alert for `tenantId` (detected now), with `overrides`. */
export function testAlert(tenantId: string, overrides: Partial<Alert> = {}): Alert {
  const now = Date.now();
  return {
    v: 1,
    alert_id: `alr_${newEventId().replaceAll('-', '')}`,
    type: 'secret_key_client_side',
    severity: 'high',
    tenant_id: tenantId,
    key_id: 'key_AAAAAAAAAAAAAAAAAAAAAA',
    ip: '203.0.113.7',
    window_start: toEventTime(now - 1000),
    window_end: toEventTime(now),
    detected_at: toEventTime(now),
    summary: 'A secret key was sent with a browser Origin header',
    evidence: { origin: 'https://evil.example', count: 1 },
    dedup_key: `secret_key_client_side:${newEventId()}`,
    action: 'none',
    ...overrides,
  };
}

export { pollUntil } from '@keywatch/testkit/support';

/**
 * Key service + a receiver + a destination (of `tenant`, for the receiver) + notifier + a producer
 * of alerts, on the test's topics and prefixes. `deliveries(status?)` reads the destination's
 * deliveries through the key service's API.
 */
export async function startWebhookStack(
  fixtures: { kafka: KafkaFixture; redis: RedisFixture; logger: Logger },
  tenant: string,
  notifierEnv: Record<string, string> = {},
  hookBody: Record<string, unknown> = {},
) {
  const closers: Array<() => unknown> = [];
  const closeAll = async () => {
    for (const close of closers)
      await Promise.resolve()
        .then(close)
        .catch(() => undefined);
  };
  try {
    const ks = await startTestKeyService(fixtures, sharedWebhookEnv(fixtures.redis));
    closers.unshift(() => ks.close());
    const receiver = await startTestReceiver();
    closers.unshift(() => receiver.close());
    const created = await ks.call<{ webhook: { id: string }; secret: string }>('POST', '/v1/webhooks', ks.rootKey, {
      tenant_id: tenant,
      url: receiver.url,
      kind: 'json',
      ...hookBody,
    });
    if (created.status !== 201)
      throw new Error(`webhook create failed: ${created.status} ${JSON.stringify(created.body)}`);
    const notifier = await startTestNotifier(fixtures, notifierEnv);
    closers.unshift(() => notifier.close());
    const producer = await createProducer(fixtures.kafka.kafka);
    closers.unshift(() => producer.close());
    const publish = (...alerts: Alert[]) =>
      producer.send(
        fixtures.kafka.topics.securityAlerts,
        alerts.map((a) => ({ key: alertMessageKey(a), value: JSON.stringify(a) })),
      );
    const deliveries = async (status?: string) =>
      (
        await ks.call<{ deliveries: Delivery[] }>(
          'GET',
          `/v1/webhooks/${created.body.webhook.id}/deliveries${status ? `?status=${status}` : ''}`,
          ks.rootKey,
        )
      ).body.deliveries;
    return {
      ks,
      receiver,
      notifier,
      publish,
      deliveries,
      hookId: created.body.webhook.id,
      secret: created.body.secret,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
