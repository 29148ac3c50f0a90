import { authEventMessageKey, exampleAuthEvent, newEventId, type AuthEvent } from '@keywatch/contracts';
import { createConsumerRunner, createProducer, type SourceMessage } from '@keywatch/kafka';
import { expect, test } from '@keywatch/testkit';
import { createAuthEventEmitter } from './emitter.js';

async function poll(done: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

test('5 000 events emitted in one synchronous loop all reach Kafka, keyed by key id, fingerprint or ip', async ({
  kafka,
  logger,
}) => {
  await kafka.provision();
  const producer = await createProducer(kafka.kafka);
  const emitter = createAuthEventEmitter({ producer, topic: kafka.topics.authEvents, logger });

  const events: AuthEvent[] = Array.from({ length: 5_000 }, (_, i) =>
    exampleAuthEvent({
      request_id: `req_${i}`,
      key_id: i % 3 === 0 ? `key_${String(i % 50).padStart(20, '0')}` : null,
      key_fingerprint: i % 3 === 1 ? String(i % 40).padStart(16, 'f') : null,
      ip: `203.0.113.${i % 200}`,
      outcome: i % 3 === 0 ? 'allowed' : 'unknown_key',
    }),
  );
  for (const event of events) emitter.emit(event);
  expect(emitter.stats()).toMatchObject({ emitted: 5_000, dropped: 0 });

  const received: SourceMessage[] = [];
  const reader = createConsumerRunner({
    kafka: kafka.kafka,
    groupId: `emitter-reader-${newEventId()}`,
    topics: [kafka.topics.authEvents],
    logger,
    handler: async (batch) => {
      received.push(...batch.messages);
    },
  });
  await reader.start();
  try {
    await emitter.close();
    expect(emitter.stats()).toEqual({
      emitted: 5_000,
      sent: 5_000,
      dropped: 0,
      overflowed: 0,
      buffered: 0,
      inFlight: 0,
      failedBatches: 0,
    });
    await poll(() => received.length >= events.length);
    await new Promise((r) => setTimeout(r, 500)); // anything beyond 5 000 would be a duplicate
    expect(received).toHaveLength(events.length);

    const expected = new Map(events.map((e) => [e.event_id, e]));
    const seen = new Set<string>();
    for (const message of received) {
      const event = JSON.parse(message.value?.toString() ?? '') as AuthEvent;
      const original = expected.get(event.event_id);
      expect(original).toEqual(event);
      expect(message.key?.toString()).toBe(authEventMessageKey(original!));
      seen.add(event.event_id);
    }
    expect(seen.size).toBe(events.length);
  } finally {
    await Promise.all([reader.close(), emitter.close()]);
    await producer.close();
  }
});
