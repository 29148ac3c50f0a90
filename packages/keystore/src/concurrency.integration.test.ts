import { describe, expect, test } from '@keywatch/testkit';
import type { Redis } from '@keywatch/redis';
import { KeyStoreError } from './errors.js';
import { layout } from './layout.js';
import { decodeRecord, type StoredRecord } from './record.js';
import { createKeyStore } from './store.js';
import { newSuccessor, newTestKey } from './testing.js';
import type { KeyStore } from './types.js';

const ITERATIONS = 100;

/**
 * Reads every record under the test's prefix (each must parse) and checks the invariants a race
 * could break: one successor per key at most, no successor link to a missing or unlinked record,
 * every hash index pointing at its record.
 */
async function checkInvariants(client: Redis, prefix: string): Promise<StoredRecord[]> {
  const scanner = client.duplicate({ keyPrefix: '' });
  try {
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await scanner.scan(cursor, 'MATCH', `${prefix}{ks}:rec:*`, 'COUNT', 1000);
      names.push(...found);
      cursor = next;
    } while (cursor !== '0');
    const records = await Promise.all(names.map(async (name) => decodeRecord(await scanner.hgetall(name), name)));
    const byId = new Map(records.map((s) => [s.record.id, s.record]));
    const successors = new Map<string, string[]>();
    for (const { record, hash } of records) {
      expect(await client.get(layout.hash(hash)), `hash index of ${record.id}`).toBe(record.id);
      if (record.rotated_to !== null) {
        expect(byId.get(record.rotated_to)?.rotated_from, `successor of ${record.id}`).toBe(record.id);
      }
      if (record.rotated_from !== null) {
        expect(byId.get(record.rotated_from)?.rotated_to, `predecessor of ${record.id}`).toBe(record.id);
        successors.set(record.rotated_from, [...(successors.get(record.rotated_from) ?? []), record.id]);
      }
    }
    for (const [id, ids] of successors) expect(ids, `successors of ${id}`).toHaveLength(1);
    return records;
  } finally {
    scanner.disconnect();
  }
}

/** Two stores on two connections of their own, so their scripts really race in Redis. */
async function withRacers(client: Redis, run: (a: KeyStore, b: KeyStore) => Promise<void>): Promise<void> {
  const connections = [client.duplicate(), client.duplicate()];
  try {
    const [a, b] = connections.map((redis) => createKeyStore({ redis }));
    if (!a || !b) throw new Error('unreachable');
    await run(a, b);
  } finally {
    for (const connection of connections) connection.disconnect();
  }
}

describe('concurrent changes to one key', () => {
  test(`rotate and revoke in parallel, ${ITERATIONS} times: always one of the two serial outcomes`, async ({
    redis,
    annotate,
  }) => {
    const store = createKeyStore({ redis: redis.client });
    const outcomes = { rotateThenRevoke: 0, revokeThenRotate: 0 };
    const started = performance.now();
    await withRacers(redis.client, async (rotator, revoker) => {
      for (let i = 0; i < ITERATIONS; i++) {
        const { key } = newTestKey();
        await store.create(key, 'root');
        const successor = newSuccessor(key);
        const rotate = () => rotator.rotate(key.id, successor, 3600, 'key:rotator');
        const revoke = () => revoker.transition(key.id, 'revoke', 'key:revoker', 'race');
        // Alternate which call is issued first, so both orders get their chance.
        const [rotated, revoked] =
          i % 2 === 0
            ? await Promise.allSettled([rotate(), revoke()])
            : await Promise.allSettled([revoke(), rotate()]).then(([second, first]) => [first, second] as const);
        expect(revoked.status).toBe('fulfilled');
        const old = await store.getById(key.id);
        const next = await store.getById(successor.id);
        const actions = (await store.audit(key.tenant_id, { keyId: key.id })).map((e) => e.action);
        if (rotated.status === 'fulfilled') {
          outcomes.rotateThenRevoke += 1;
          expect(old).toMatchObject({ state: 'revoked', rotated_to: successor.id, version: 3 });
          expect(next).toMatchObject({ state: 'active', rotated_from: key.id, version: 1 });
          expect(await store.getByHash(successor.hash)).toEqual(next);
          expect(actions).toEqual(['created', 'rotated', 'revoked']);
        } else {
          outcomes.revokeThenRotate += 1;
          expect(rotated.reason).toBeInstanceOf(KeyStoreError);
          expect(rotated.reason).toMatchObject({ code: 'invalid_transition', details: { from: 'revoked' } });
          expect(old).toMatchObject({ state: 'revoked', rotated_to: null, version: 2 });
          expect(next).toBeNull();
          expect(await store.getByHash(successor.hash)).toBeNull();
          expect(actions).toEqual(['created', 'revoked']);
        }
      }
    });
    const records = await checkInvariants(redis.client, redis.prefix);
    expect(records).toHaveLength(ITERATIONS + outcomes.rotateThenRevoke);
    expect(records.filter((s) => s.record.state === 'active')).toHaveLength(outcomes.rotateThenRevoke);
    const events = await store.readOutbox('check', 10_000, 0);
    expect(events).toHaveLength(2 * ITERATIONS + 2 * outcomes.rotateThenRevoke);
    await annotate(
      `${ITERATIONS} races in ${Math.round(performance.now() - started)} ms: rotate→revoke ${outcomes.rotateThenRevoke}, revoke→rotate ${outcomes.revokeThenRotate}`,
    );
  });

  test(`two rotations in parallel, ${ITERATIONS} times: exactly one successor`, async ({ redis, annotate }) => {
    const store = createKeyStore({ redis: redis.client });
    const started = performance.now();
    await withRacers(redis.client, async (a, b) => {
      for (let i = 0; i < ITERATIONS; i++) {
        const { key } = newTestKey();
        await store.create(key, 'root');
        const results = await Promise.allSettled([
          a.rotate(key.id, newSuccessor(key), 60, 'key:a'),
          b.rotate(key.id, newSuccessor(key), 60, 'key:b'),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost.map((r) => (r.reason as KeyStoreError).code)).toEqual(['already_rotated']);
      }
    });
    const records = await checkInvariants(redis.client, redis.prefix);
    expect(records).toHaveLength(2 * ITERATIONS);
    await annotate(`${ITERATIONS} double rotations in ${Math.round(performance.now() - started)} ms`);
  });
});
