import { KeyLifecycleEvent } from '@keywatch/contracts';
import { expect, test } from '@keywatch/testkit';
import { layout, OUTBOX_GROUP } from './layout.js';
import { createKeyStore } from './store.js';
import { newSuccessor, newTestKey } from './testing.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('every change is in the outbox once, in order, as a valid lifecycle event; an acknowledged one is gone', async ({
  redis,
}) => {
  const store = createKeyStore({ redis: redis.client });
  const { key } = newTestKey();
  await store.create(key, 'root');
  await store.update(key.id, { name: 'renamed' }, 'root');
  await store.transition(key.id, 'suspend', 'detector:alert_1', 'failed_auth_spike');
  await store.transition(key.id, 'reactivate', 'key:admin', 'false alarm');
  const { next } = await store.rotate(key.id, newSuccessor(key), 60, 'root');
  await store.transition(next.id, 'deactivate', 'root', null);
  await store.transition(key.id, 'revoke', 'root', 'done');

  const pending = await store.readOutbox('relay-a', 100, 0);
  expect(pending.map((p) => [p.event.key_id, p.event.type, p.event.actor, p.event.reason])).toEqual([
    [key.id, 'created', 'root', null],
    [key.id, 'updated', 'root', null],
    [key.id, 'suspended', 'detector:alert_1', 'failed_auth_spike'],
    [key.id, 'reactivated', 'key:admin', 'false alarm'],
    [key.id, 'rotated', 'root', null],
    [next.id, 'created', 'root', null],
    [next.id, 'deactivated', 'root', null],
    [key.id, 'revoked', 'root', 'done'],
  ]);
  for (const { event } of pending) {
    expect(KeyLifecycleEvent.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ v: 1, tenant_id: key.tenant_id });
  }
  expect(new Set(pending.map((p) => p.event.event_id)).size).toBe(pending.length);

  await store.ackOutbox(pending.map((p) => p.outboxId));
  expect(await store.readOutbox('relay-a', 100, 0)).toEqual([]);
  expect(await store.readOutbox('relay-b', 100, 0)).toEqual([]);
  expect(await redis.client.xlen(layout.outbox)).toBe(0);
  expect(await redis.client.xpending(layout.outbox, OUTBOX_GROUP)).toEqual([0, null, null, null]);
});

test('entries a dead relay left unacknowledged go to another relay after the idle time, and only then', async ({
  redis,
}) => {
  const store = createKeyStore({ redis: redis.client, outboxClaimIdleMs: 100 });
  const { key } = newTestKey();
  await store.create(key, 'root');
  await store.transition(key.id, 'deactivate', 'root', null);

  const taken = await store.readOutbox('relay-dead', 10, 0);
  expect(taken.map((p) => p.event.type)).toEqual(['created', 'deactivated']);
  // Within the idle time nobody else gets them, and there is nothing new.
  expect(await store.readOutbox('relay-alive', 10, 0)).toEqual([]);

  await sleep(150);
  const reclaimed = await store.readOutbox('relay-alive', 10, 0);
  expect(reclaimed).toEqual(taken);
  const pendingByConsumer = await redis.client.xpending(layout.outbox, OUTBOX_GROUP);
  expect(pendingByConsumer).toEqual([2, taken[0]?.outboxId, taken[1]?.outboxId, [['relay-alive', '2']]]);

  await store.ackOutbox(reclaimed.map((p) => p.outboxId));
  await sleep(150);
  expect(await store.readOutbox('relay-dead', 10, 0)).toEqual([]);
  expect(await store.readOutbox('relay-alive', 10, 0)).toEqual([]);
});

test('a reclaim hands out at most count entries and the rest on the next reads', async ({ redis }) => {
  const store = createKeyStore({ redis: redis.client, outboxClaimIdleMs: 50 });
  for (let i = 0; i < 7; i++) await store.create(newTestKey().key, 'root');
  const taken = await store.readOutbox('relay-dead', 100, 0);
  expect(taken).toHaveLength(7);
  await sleep(100);
  const seen: string[] = [];
  for (let round = 0; round < 5 && seen.length < 7; round++) {
    const batch = await store.readOutbox('relay-alive', 3, 0);
    expect(batch.length).toBeLessThanOrEqual(3);
    seen.push(...batch.map((p) => p.outboxId));
    await store.ackOutbox(batch.map((p) => p.outboxId));
  }
  expect(seen.sort()).toEqual(taken.map((p) => p.outboxId).sort());
});

test('a blocking read wakes up when an event arrives, and refuses to outwait the command timeout', async ({
  redis,
}) => {
  // The relay's own connection: a blocking read holds it.
  const relayConnection = redis.client.duplicate();
  try {
    const relay = createKeyStore({ redis: relayConnection });
    const writer = createKeyStore({ redis: redis.client });
    expect(await relay.readOutbox('relay', 10, 0)).toEqual([]);
    const started = Date.now();
    const reading = relay.readOutbox('relay', 10, 800);
    await sleep(100);
    const { key } = newTestKey();
    await writer.create(key, 'root');
    const got = await reading;
    expect(got.map((p) => [p.event.key_id, p.event.type])).toEqual([[key.id, 'created']]);
    expect(Date.now() - started).toBeLessThan(700);
    await relay.ackOutbox(got.map((p) => p.outboxId));

    const emptyStarted = Date.now();
    expect(await relay.readOutbox('relay', 10, 200)).toEqual([]);
    expect(Date.now() - emptyStarted).toBeGreaterThanOrEqual(190);

    await expect(relay.readOutbox('relay', 10, 1000)).rejects.toMatchObject({
      code: 'invalid_argument',
      details: { field: 'blockMs' },
    });
  } finally {
    relayConnection.disconnect();
  }
});

test('the consumer group is created again if the outbox stream was deleted', async ({ redis }) => {
  const store = createKeyStore({ redis: redis.client });
  expect(await store.readOutbox('relay', 10, 0)).toEqual([]);
  await redis.client.del(layout.outbox);
  const { key } = newTestKey();
  await store.create(key, 'root');
  expect((await store.readOutbox('relay', 10, 0)).map((p) => p.event.key_id)).toEqual([key.id]);
});

test('a relay whose publish failed gets its own unacknowledged entries again, before any newer one', async ({
  redis,
}) => {
  const store = createKeyStore({ redis: redis.client });
  const { key } = newTestKey();
  await store.create(key, 'root');
  const first = await store.readOutbox('relay-a', 10, 0);
  expect(first.map((p) => p.event.type)).toEqual(['created']);
  // The publish failed: nothing acknowledged. Meanwhile the key is revoked.
  await store.transition(key.id, 'revoke', 'root', 'leaked');
  const retry = await store.readOutbox('relay-a', 10, 0);
  expect(retry).toEqual(first);
  await store.ackOutbox(retry.map((p) => p.outboxId));
  expect((await store.readOutbox('relay-a', 10, 0)).map((p) => p.event.type)).toEqual(['revoked']);
});
