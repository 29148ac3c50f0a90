import path from 'node:path';
import { topicNames, type AuthEvent } from '@keywatch/contracts';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import { startTestKeyService } from '@keywatch/key-service/testing';
import {
  collectMessages,
  expect,
  type KafkaFixture,
  metricSum,
  poll,
  repoRoot,
  startPrivateKafka,
  test,
} from '@keywatch/testkit';
import type { VerifyAnswer } from './routes.js';
import { startTestAuthServer } from './testing.js';

// A PRIVATE broker (own ports and data dir) killed with SIGKILL and started again while two auth
// servers answer verify and forward-auth calls. The policy is the gateway's (packages/auth-emitter):
// no call waits for Kafka; events wait in a bounded buffer and go out once the broker is back; what
// does not fit is dropped and counted (keywatch_gateway_auth_events_dropped_total).

type Phase = 'up' | 'down' | 'back' | 'after';
interface Answer {
  server: 'roomy' | 'tight';
  call: 'verify' | 'forward-auth';
  phase: Phase;
  status: number;
  allowed: boolean;
  ms: number;
  requestId: string;
}

/**
 * Not a speed target (the bench measures speed): a call that waited for the unreachable broker
 * would take KafkaJS's request timeout (30 s) or its retries; a loaded 2-core machine stretches a
 * normal call to 2 s at worst.
 */
const BLOCKED_MS = 10_000;

test('Kafka killed and restarted: verify and forward-auth keep answering without waiting, events are buffered or counted as dropped, and flow again once the broker is back', async ({
  redis,
  logger,
}) => {
  const broker = await startPrivateKafka();
  const prefix = `kwas-down-${Date.now().toString(36)}.`;
  const client = createKafka({ brokers: broker.brokers, clientId: `test-${prefix}`, logger });
  const kafka: KafkaFixture = {
    brokers: broker.brokers,
    kafka: client,
    prefix,
    topics: topicNames(prefix),
    async provision() {
      const admin = client.admin();
      await admin.connect();
      try {
        const definitions = loadTopicDefinitions(path.join(repoRoot, 'infra/kafka/topics.json')).map((d) => ({
          ...d,
          partitions: Math.min(d.partitions, 3),
        }));
        await provisionTopics(admin, definitions, { prefix });
      } finally {
        await admin.disconnect();
      }
    },
  };
  const ks = await startTestKeyService({ kafka, redis, logger });
  // A buffer far larger than the outage's events (nothing may be lost), and one of 30 (the overflow
  // must be counted exactly). Both send from the producer thread, the default.
  const servers = {
    roomy: await startTestAuthServer({ kafka, redis, logger }, { AUTH_SERVER_EVENT_BUFFER: '500000' }),
    tight: await startTestAuthServer({ kafka, redis, logger }, { AUTH_SERVER_EVENT_BUFFER: '30' }),
  };
  try {
    const key = await ks.createKey({
      tenant_id: 'tenant_as_kafka_down',
      type: 'secret',
      environment: 'live',
      name: 'k',
      scopes: ['subscriptions:read'],
    });
    const answers: Answer[] = [];
    let phase: Phase = 'up';
    let running = true;
    const once = async (name: Answer['server'], call: Answer['call']): Promise<Answer> => {
      const base = servers[name].url;
      const started = performance.now();
      if (call === 'verify') {
        const response = await fetch(new URL('/v1/verify', base), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key: key.secret, method: 'GET', route: '/v1/subscriptions', ip: '203.0.113.7' }),
        });
        const body = (await response.json()) as VerifyAnswer;
        const ms = performance.now() - started;
        return {
          server: name,
          call,
          phase,
          status: response.status,
          allowed: body.valid,
          ms,
          requestId: body.request_id,
        };
      }
      const response = await fetch(new URL('/v1/forward-auth', base), {
        headers: {
          authorization: `Bearer ${key.secret}`,
          'x-forwarded-method': 'GET',
          'x-forwarded-uri': '/v1/subscriptions',
          'x-forwarded-for': '203.0.113.8',
        },
      });
      await response.arrayBuffer();
      const ms = performance.now() - started;
      const requestId = response.headers.get('x-request-id') ?? '';
      return { server: name, call, phase, status: response.status, allowed: response.status === 200, ms, requestId };
    };
    const loop = async (name: Answer['server'], call: Answer['call']) => {
      while (running) {
        answers.push(await once(name, call));
        // Paced: the broker's restart (a JVM boot) takes 10-40 s here; a few hundred calls per
        // second prove the same as unpaced loops and keep the accounting small.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const load = [
      loop('roomy', 'verify'),
      loop('roomy', 'forward-auth'),
      loop('tight', 'verify'),
      loop('tight', 'forward-auth'),
    ];
    const count = (p: Phase, s: Answer['server']) => answers.filter((a) => a.phase === p && a.server === s).length;
    const atLeast = (p: Phase, n: number, timeoutMs: number) =>
      poll(
        async () => Math.min(count(p, 'roomy'), count(p, 'tight')),
        (c) => c >= n,
        timeoutMs,
        50,
      );

    await atLeast('up', 200, 30_000);
    phase = 'down';
    await broker.kill();
    await atLeast('down', 400, 60_000);
    // While the broker is down the producer has nowhere to send: events wait (roomy) or are dropped (tight).
    expect(await metricSum(servers.roomy.url, 'keywatch_gateway_auth_events_buffered')).toBeGreaterThan(0);
    expect(await metricSum(servers.tight.url, 'keywatch_gateway_auth_events_dropped_total')).toBeGreaterThan(0);
    await broker.start();
    phase = 'back';
    await atLeast('back', 200, 60_000);
    running = false;
    await Promise.all(load);
    // Once each buffer has drained (the producer reconnects in its own time), new calls' events
    // go straight out again, also on the server whose buffer overflowed.
    for (const server of Object.values(servers))
      expect(
        await poll(
          () => metricSum(server.url, 'keywatch_gateway_auth_events_buffered'),
          (n) => n === 0,
          90_000,
          250,
        ),
      ).toBe(0);
    phase = 'after';
    for (const name of ['roomy', 'tight'] as const)
      for (let i = 0; i < 10; i += 1) answers.push(await once(name, i % 2 === 0 ? 'verify' : 'forward-auth'));

    const quantile = (values: number[], q: number) =>
      [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))] ?? Number.NaN;
    for (const p of ['up', 'down', 'back'] as const) {
      const ms = answers.filter((a) => a.phase === p).map((a) => a.ms);
      process.stdout.write(
        `[auth-server kafka-down] ${p}: ${ms.length} calls, p50 ${quantile(ms, 0.5).toFixed(2)} ms, p99 ${quantile(ms, 0.99).toFixed(2)} ms, max ${Math.max(...ms).toFixed(1)} ms\n`,
      );
    }
    // Every call answered, allowed, and none waited for the broker.
    expect(answers.filter((a) => a.status !== 200 || !a.allowed)).toEqual([]);
    expect(answers.filter((a) => a.phase === 'down' && a.ms > BLOCKED_MS)).toEqual([]);

    for (const name of ['roomy', 'tight'] as const) {
      const server = servers[name];
      const gatewayId = server.defaultCallerId;
      const mine = answers.filter((a) => a.server === name);
      const ids = new Set(mine.map((a) => a.requestId));
      expect(ids.size).toBe(mine.length);
      // The buffer drains once the broker is back.
      expect(
        await poll(
          () => metricSum(server.url, 'keywatch_gateway_auth_events_buffered'),
          (n) => n === 0,
          60_000,
          250,
        ),
      ).toBe(0);
      const lost = await metricSum(server.url, 'keywatch_gateway_auth_events_dropped_total');
      const events = await collectMessages<AuthEvent>(
        client,
        kafka.topics.authEvents,
        (m) => m.filter((e) => e.value?.gateway_id === gatewayId).length >= mine.length - lost,
        90_000,
      );
      const sent = events.filter((e) => e.value?.gateway_id === gatewayId).map((e) => e.value!.request_id);
      process.stdout.write(
        `[auth-server kafka-down] ${name}: ${mine.length} answered, ${sent.length} events on the topic, ${lost} counted as dropped\n`,
      );
      expect(new Set(sent).size, `${name}: no event twice`).toBe(sent.length);
      for (const id of sent) expect(ids.has(id)).toBe(true);
      expect(sent.length + lost, `${name}: sent + counted drops = answered`).toBe(mine.length);
      // Every event of a call answered once the buffer had drained reached the topic: the flow resumed.
      const after = mine.filter((a) => a.phase === 'after').map((a) => a.requestId);
      expect(after).toHaveLength(10);
      expect(
        after.filter((id) => !sent.includes(id)),
        `${name}: events flow again`,
      ).toEqual([]);
      if (name === 'roomy') expect(lost).toBe(0);
      else expect(lost).toBeGreaterThan(0);
    }
  } finally {
    await Promise.allSettled([servers.roomy.close(), servers.tight.close()]);
    await ks.close();
    await broker.close();
  }
}, 420_000);
