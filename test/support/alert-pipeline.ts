import { randomBytes } from 'node:crypto';
import type { Logger } from '@keywatch/logger';
import type { KafkaFixture, RedisFixture } from '@keywatch/testkit';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '@keywatch/webhooks';
import { startWorkerOn } from '@keywatch/detector-worker/testing';
import { startTestGateway } from '@keywatch/gateway/testing';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { alertMessageKey } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import {
  sharedWebhookEnv,
  startTestNotifier,
  startTestReceiver,
  testAlert,
  type ReceivedRequest,
} from '@keywatch/notifier/testing';

// The whole alert path on real engines: reference gateway → auth-events → detector →
// security-alerts → notifier → a local receiver. Used by the end-to-end test and `bench alerts`.

export interface PipelineTarget {
  kafka: KafkaFixture;
  redis: RedisFixture;
  clickhouse: { url: string; database: string };
  logger: Logger;
  repoRoot: string;
}

/** One attack's result: what arrived and how long after the attack's first request. */
export interface AttackResult {
  latencyMs: number;
  alert: Record<string, unknown>;
  request: ReceivedRequest;
  signatureValid: boolean;
}

/**
 * Starts key service, gateway, detector, notifier and a receiver on `target`, with a destination
 * for the receiver and a secret key of `tenant`. `attack(n)` sends a secret key with a browser
 * `Origin` (a fresh origin each time, so each is a new alert) through the gateway and resolves
 * when the signed alert for it reached the receiver.
 */
export async function startAlertPipeline(
  target: PipelineTarget,
  options: { tenant?: string; notifierEnv?: Record<string, string> } = {},
) {
  const tenant = options.tenant ?? 'tenant_e2e_alerts';
  const closers: Array<() => unknown> = [];
  const close = async () => {
    for (const c of closers)
      await Promise.resolve()
        .then(c)
        .catch(() => undefined);
  };
  try {
    const fixtures = { kafka: target.kafka, redis: target.redis, logger: target.logger };
    const ks = await startTestKeyService(fixtures, sharedWebhookEnv(target.redis));
    closers.unshift(() => ks.close());
    const receiver = await startTestReceiver();
    closers.unshift(() => receiver.close());
    const hook = await ks.call<{ webhook: { id: string }; secret: string }>('POST', '/v1/webhooks', ks.rootKey, {
      tenant_id: tenant,
      url: receiver.url,
      kind: 'json',
      types: ['secret_key_client_side'],
    });
    if (hook.status !== 201) throw new Error(`webhook create failed: ${hook.status} ${JSON.stringify(hook.body)}`);
    const key = await ks.createKey({
      tenant_id: tenant,
      type: 'secret',
      environment: 'live',
      name: 'leaky backend key',
      scopes: ['bundles:read'],
    });
    const gateway = await startTestGateway(fixtures);
    closers.unshift(() => gateway.close());
    const detector = await startWorkerOn({
      brokers: target.kafka.brokers,
      kafka: target.kafka.kafka,
      topicPrefix: target.kafka.prefix,
      clickhouseUrl: target.clickhouse.url,
      database: target.clickhouse.database,
      redisUrl: target.redis.url,
      redisPrefix: `${target.redis.prefix}detector:`,
      logger: target.logger,
      repoRoot: target.repoRoot,
    });
    closers.unshift(() => detector.close());
    const notifier = await startTestNotifier(fixtures, { NOTIFIER_BACKOFF: '250ms', ...options.notifierEnv });
    closers.unshift(() => notifier.close());

    const producer = await createProducer(target.kafka.kafka);
    closers.unshift(() => producer.close());

    const nonce = randomBytes(3).toString('hex');
    /** Runs `trigger` and waits for the delivery whose evidence names `origin`. */
    async function measure(origin: string, trigger: () => Promise<string>, timeoutMs: number): Promise<AttackResult> {
      let resolveArrival: (r: ReceivedRequest) => void = () => undefined;
      const arrived = new Promise<ReceivedRequest>((resolve) => (resolveArrival = resolve));
      const stop = receiver.onRequest((r) => {
        const body = JSON.parse(r.rawBody) as { evidence?: { origin?: string } };
        if (body.evidence?.origin === origin) resolveArrival(r);
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        const started = Date.now();
        const what = await trigger();
        const request = await Promise.race([
          arrived,
          new Promise<never>(
            (_, reject) =>
              (timer = setTimeout(
                () => reject(new Error(`no alert for ${origin} within ${timeoutMs} ms (${what})`)),
                timeoutMs,
              )),
          ),
        ]);
        const alert = JSON.parse(request.rawBody) as Record<string, unknown>;
        const header = request.headers[SIGNATURE_HEADER.toLowerCase()];
        return {
          latencyMs: request.at - started,
          alert,
          request,
          signatureValid: verifyWebhookSignature({ header, rawBody: request.rawBody, secrets: hook.body.secret }).ok,
        };
      } finally {
        clearTimeout(timer);
        stop();
      }
    }

    /** A secret key sent with a fresh browser Origin through the gateway; resolves on its delivery. */
    function attack(n: number, timeoutMs = 60_000): Promise<AttackResult> {
      const origin = `https://leak-${nonce}-${n}.example`;
      return measure(
        origin,
        async () => {
          const response = await fetch(new URL('/v1/bundles', gateway.url), {
            headers: { authorization: `Bearer ${key.secret}`, origin },
          });
          await response.arrayBuffer();
          return `gateway answered ${response.status}`;
        },
        timeoutMs,
      );
    }

    /** Baseline: an alert produced straight to security-alerts (notifier and delivery only). */
    function direct(n: number, timeoutMs = 60_000): Promise<AttackResult> {
      const origin = `https://direct-${nonce}-${n}.example`;
      const alert = testAlert(tenant, {
        key_id: key.id,
        evidence: { origin },
        dedup_key: `secret_key_client_side:${key.id}:${origin}`,
      });
      return measure(
        origin,
        async () => {
          await producer.send(target.kafka.topics.securityAlerts, [
            { key: alertMessageKey(alert), value: JSON.stringify(alert) },
          ]);
          return 'alert produced';
        },
        timeoutMs,
      );
    }
    return { attack, direct, keyId: key.id, tenant, close };
  } catch (error) {
    await close();
    throw error;
  }
}
