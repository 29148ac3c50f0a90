import { toEventTime, type KeyLifecycleEvent, type KeyState } from '@keywatch/contracts';
import { describe, expect, test } from '@keywatch/testkit';
import type { Redis } from '@keywatch/redis';
import { KeyStoreError } from './errors.js';
import { layout } from './layout.js';
import { PRELUDE } from './scripts.js';
import { TRANSITIONS } from './state.js';
import { createKeyStore } from './store.js';
import { newSuccessor, newTestKey } from './testing.js';
import type { KeyRecord, KeyStore, Transition } from './types.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

/** A store on the test's Redis prefix with a clock the test moves. */
function setup(redis: Redis) {
  let now = T0;
  const store = createKeyStore({ redis, clock: () => new Date(now) });
  return {
    store,
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
      return new Date(now);
    },
  };
}

/** Lifecycle events written since the last call (read and acknowledged). */
async function events(store: KeyStore): Promise<KeyLifecycleEvent[]> {
  const pending = await store.readOutbox('test', 1000, 0);
  await store.ackOutbox(pending.map((p) => p.outboxId));
  return pending.map((p) => p.event);
}

async function refusal(promise: Promise<unknown>): Promise<KeyStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof KeyStoreError)) throw new Error(`expected a KeyStoreError, got ${String(error)}`);
  return error;
}

const STATES: KeyState[] = ['active', 'rotating', 'deactivated', 'suspended', 'revoked', 'expired'];

/** A fresh key in the given stored state (at T0; `expired` expired at T0 + 1 s, `rotating` until T0 + 1 h). */
async function keyIn(store: KeyStore, state: KeyState): Promise<KeyRecord> {
  const at = new Date(T0);
  if (state === 'expired') {
    const { key } = newTestKey({ expires_at: toEventTime(T0 + 1000) });
    await store.create(key, 'root', at);
    return store.transition(key.id, 'expire', 'system:expiry', null, new Date(T0 + 2000));
  }
  const { key } = newTestKey();
  const created = await store.create(key, 'root', at);
  switch (state) {
    case 'active':
      return created;
    case 'rotating':
      return (await store.rotate(key.id, newSuccessor(key), 3600, 'root', at)).previous;
    default: {
      const transition = ({ deactivated: 'deactivate', suspended: 'suspend', revoked: 'revoke' } as const)[state];
      return store.transition(key.id, transition, 'root', null, at);
    }
  }
}

describe('create and lookups', () => {
  test('a created key is found by id, by hash and in its tenant, and nothing but its hash is stored', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const { key, secret } = newTestKey({ expires_at: '2030-06-01T02:00:00+02:00' });
    const created = await store.create(key, 'key:admin');
    expect(created).toEqual({
      id: key.id,
      tenant_id: key.tenant_id,
      environment: 'live',
      type: 'secret',
      name: 'test key',
      scopes: key.scopes,
      state: 'active',
      state_reason: null,
      prefix: 'sk_live_',
      last4: secret.slice(-4),
      created_at: '2030-01-01T00:00:00.000Z',
      created_by: 'key:admin',
      updated_at: '2030-01-01T00:00:00.000Z',
      expires_at: '2030-06-01T00:00:00.000Z',
      rotated_from: null,
      rotated_to: null,
      allowed_ips: ['203.0.113.0/24'],
      allowed_origins: [],
      rate_limit: { limit: 100, window_s: 60 },
      last_used_at: null,
      version: 1,
    });
    expect(await store.getById(key.id)).toEqual(created);
    expect(await store.getByHash(key.hash)).toEqual(created);
    expect(await store.list(key.tenant_id)).toEqual([created]);
    expect(await store.getById('key_doesnotexist0000000000')).toBeNull();
    expect(await store.getByHash('0'.repeat(64))).toBeNull();

    const raw = await redis.client.hgetall(layout.record(key.id));
    expect(Object.values(raw).join(' ')).not.toContain(secret);
    expect(Object.values(raw).join(' ')).not.toContain(secret.slice(8, 38));
    expect(await redis.client.get(layout.hash(key.hash))).toBe(key.id);
    expect(await store.tenants()).toEqual([key.tenant_id]);
    expect(await redis.client.zscore(layout.expiries, key.id)).toBe(String(Date.parse('2030-06-01T00:00:00.000Z')));
  });

  test('create refuses a taken id or hash with conflict and writes nothing', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey();
    await store.create(key, 'root');
    await events(store);
    const sameId = await refusal(store.create({ ...newTestKey().key, id: key.id }, 'root'));
    expect(sameId).toMatchObject({ code: 'conflict', retryable: false, details: { field: 'id' } });
    const other = newTestKey({ hash: key.hash, tenant_id: 'tenant_other' });
    const sameHash = await refusal(store.create(other.key, 'root'));
    expect(sameHash).toMatchObject({ code: 'conflict', details: { field: 'hash' } });
    expect(await store.getById(other.key.id)).toBeNull();
    expect(await store.tenants()).toEqual(['tenant_test']);
    expect(await events(store)).toEqual([]);
    expect(await store.audit('tenant_test')).toHaveLength(1);
  });

  test('bad input is invalid_argument naming the field, before anything is written', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey();
    expect(await refusal(store.create({ ...key, scopes: ['everything' as never] }, 'root'))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'scopes.0' },
    });
    expect(await refusal(store.create({ ...key, rate_limit: { limit: -1, window_s: 60 } }, 'root'))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'rate_limit.limit' },
    });
    expect(await refusal(store.create(key, ''))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'actor' },
    });
    expect(await refusal(store.rotate(key.id, newSuccessor(key), -1, 'root'))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'grace_period_s' },
    });
    expect(await refusal(store.transition(key.id, 'explode' as Transition, 'root', null))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'transition' },
    });
    expect(await redis.client.keys(`${redis.prefix}*`)).toEqual([]); // KEYS patterns are not prefixed by ioredis
  });

  test('list returns a tenant’s keys newest first, filtered by effective state and environment, across pages', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const ids: string[] = [];
    for (let i = 0; i < 230; i++) {
      const { key } = newTestKey({
        environment: i % 2 === 0 ? 'live' : 'dev',
        expires_at: i % 10 === 0 ? toEventTime(T0 + HOUR) : null,
      });
      await store.create(key, 'root', new Date(T0 + i));
      ids.push(key.id);
    }
    await store.create(newTestKey({ tenant_id: 'tenant_other' }).key, 'root');
    const all = await store.list('tenant_test');
    expect(all.map((r) => r.id)).toEqual([...ids].reverse());
    expect((await store.list('tenant_test', { environment: 'dev' })).map((r) => r.id)).toEqual(
      ids.filter((_, i) => i % 2 === 1).reverse(),
    );
    expect(await store.list('tenant_test', { limit: 3 })).toHaveLength(3);
    // Past the hour, the keys with an expiry are expired in effect, though still stored active.
    const later = setup(redis.client);
    later.advance(2 * HOUR);
    const laterStore = createKeyStore({ redis: redis.client, clock: later.now });
    expect((await laterStore.list('tenant_test', { state: 'expired' })).map((r) => r.id)).toEqual(
      ids.filter((_, i) => i % 10 === 0).reverse(),
    );
    expect(await laterStore.list('tenant_test', { state: 'active' })).toHaveLength(230 - 23);
    expect(await store.list('tenant_nobody')).toEqual([]);
  });

  test('touch only moves last_used_at forward, bumps no version and never creates a record', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey();
    await store.create(key, 'root');
    await events(store);
    await store.touch(key.id, new Date(T0 + 5000));
    await store.touch(key.id, new Date(T0 + 1000));
    const touched = await store.getById(key.id);
    expect(touched).toMatchObject({ last_used_at: toEventTime(T0 + 5000), version: 1 });
    await store.touch('key_nonexistent000000000000', new Date(T0));
    expect(await redis.client.exists(layout.record('key_nonexistent000000000000'))).toBe(0);
    expect(await events(store)).toEqual([]);
    expect(await store.audit('tenant_test')).toHaveLength(1);
  });

  test('a corrupt record or a dangling index raises corrupt_record instead of returning garbage', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey();
    await store.create(key, 'root');
    await redis.client.hset(layout.record(key.id), 'scopes', '["subscriptions:read",');
    const error = await refusal(store.getById(key.id));
    expect(error).toMatchObject({ code: 'corrupt_record', details: { key: key.id, field: 'scopes' } });
    await expect(store.getByHash(key.hash)).rejects.toMatchObject({ code: 'corrupt_record' });
    await redis.client.set(layout.hash('f'.repeat(64)), 'key_missing0000000000000000');
    await expect(store.getByHash('f'.repeat(64))).rejects.toMatchObject({
      code: 'corrupt_record',
      details: { field: 'hash' },
    });
  });
});

describe('state transitions', () => {
  const transitions = Object.keys(TRANSITIONS) as Transition[];

  test('every transition from every state is applied or refused as the state machine says', async ({ redis }) => {
    const { store } = setup(redis.client);
    const at = new Date(T0 + 10_000);
    let checked = 0;
    for (const from of STATES) {
      for (const transition of transitions) {
        const key = await keyIn(store, from);
        await events(store);
        const auditBefore = await store.audit(key.tenant_id, { keyId: key.id });
        // `expire` additionally needs expires_at to have passed: none of these keys is due at `at`.
        const allowed = transition !== 'expire' && TRANSITIONS[transition].from.includes(from);
        const label = `${transition} from ${from}`;
        if (allowed) {
          const after = await store.transition(key.id, transition, 'key:admin', `because ${label}`, at, {
            ticket: 'SEC-1',
          });
          expect(after, label).toMatchObject({
            state: TRANSITIONS[transition].to,
            state_reason: `because ${label}`,
            version: key.version + 1,
            updated_at: toEventTime(at),
          });
          const [entry, ...more] = (await store.audit(key.tenant_id, { keyId: key.id })).slice(auditBefore.length);
          expect(more, label).toEqual([]);
          expect(entry, label).toMatchObject({
            action: TRANSITIONS[transition].event,
            actor: 'key:admin',
            reason: `because ${label}`,
            ts: toEventTime(at),
            details: { from, to: TRANSITIONS[transition].to, ticket: 'SEC-1' },
          });
          expect(await events(store), label).toEqual([
            expect.objectContaining({
              v: 1,
              type: TRANSITIONS[transition].event,
              key_id: key.id,
              tenant_id: key.tenant_id,
              actor: 'key:admin',
              reason: `because ${label}`,
              ts: toEventTime(at),
            }),
          ]);
        } else {
          const error = await refusal(store.transition(key.id, transition, 'key:admin', null, at));
          expect(error, label).toMatchObject({
            code: 'invalid_transition',
            retryable: false,
            details: { key_id: key.id, transition, from },
          });
          expect(await store.getById(key.id), label).toEqual(key);
          expect(await store.audit(key.tenant_id, { keyId: key.id }), label).toEqual(auditBefore);
          expect(await events(store), label).toEqual([]);
        }
        checked += 1;
      }
    }
    expect(checked).toBe(30);
  });

  test('expire applies only once expires_at has passed, to active and rotating keys, and leaves the expiry index', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey({ expires_at: toEventTime(T0 + 60_000) });
    await store.create(key, 'root');
    const early = await refusal(store.transition(key.id, 'expire', 'system:expiry', null, new Date(T0 + 59_999)));
    expect(early).toMatchObject({
      code: 'invalid_transition',
      details: { from: 'active', why: 'its expiry time has not passed' },
    });
    expect(await store.dueExpiries(new Date(T0 + 59_999), 10)).toEqual([]);
    expect(await store.dueExpiries(new Date(T0 + 60_000), 10)).toEqual([key.id]);
    const expired = await store.transition(key.id, 'expire', 'system:expiry', null, new Date(T0 + 60_000));
    expect(expired).toMatchObject({ state: 'expired', version: 2 });
    expect(await store.dueExpiries(new Date(T0 + HOUR), 10)).toEqual([]);
    const [, event] = await events(store);
    expect(event).toMatchObject({ type: 'expired', actor: 'system:expiry', reason: null });

    const rotating = await keyIn(store, 'rotating');
    expect(await store.dueExpiries(new Date(T0 + HOUR), 10)).toEqual([rotating.id]);
    expect(
      await store.transition(rotating.id, 'expire', 'system:expiry', 'grace period over', new Date(T0 + HOUR)),
    ).toMatchObject({ state: 'expired' });
  });

  test('a key past its expiry is expired in effect: deactivate and update refuse it, revoke still works', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey({ expires_at: toEventTime(T0 + 1000) });
    await store.create(key, 'root');
    const later = new Date(T0 + 1000);
    expect(await refusal(store.transition(key.id, 'deactivate', 'root', null, later))).toMatchObject({
      code: 'invalid_transition',
      details: { from: 'expired', state: 'active' },
    });
    expect(await refusal(store.update(key.id, { name: 'x' }, 'root', later))).toMatchObject({
      code: 'invalid_transition',
      details: { from: 'expired' },
    });
    expect(await refusal(store.rotate(key.id, newSuccessor(key), 60, 'root', later))).toMatchObject({
      code: 'invalid_transition',
      details: { from: 'expired' },
    });
    expect(await store.transition(key.id, 'revoke', 'root', 'cleanup', later)).toMatchObject({ state: 'revoked' });
  });

  test('reactivate refuses a key that was rotated or whose expiry has passed, and restores the expiry index', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const rotated = await keyIn(store, 'rotating');
    await store.transition(rotated.id, 'suspend', 'detector:alert_1', 'credential_stuffing', new Date(T0));
    const error = await refusal(store.transition(rotated.id, 'reactivate', 'root', null, new Date(T0)));
    expect(error).toMatchObject({
      code: 'invalid_transition',
      details: { from: 'suspended', why: `it was rotated to ${rotated.rotated_to}` },
    });
    expect(error.message).toContain('rotated');

    const { key } = newTestKey({ expires_at: toEventTime(T0 + 60_000) });
    await store.create(key, 'root');
    await store.transition(key.id, 'deactivate', 'root', null, new Date(T0));
    expect(await store.dueExpiries(new Date(T0 + HOUR), 10)).not.toContain(key.id);
    await store.transition(key.id, 'reactivate', 'root', null, new Date(T0 + 1000));
    expect(await store.dueExpiries(new Date(T0 + HOUR), 10)).toContain(key.id);
    await store.transition(key.id, 'suspend', 'root', null, new Date(T0 + 2000));
    expect(await refusal(store.transition(key.id, 'reactivate', 'root', null, new Date(T0 + 60_000)))).toMatchObject({
      code: 'invalid_transition',
      details: { why: 'its expiry time has passed' },
    });
  });

  test('transitions, updates and rotations of an unknown key are not_found', async ({ redis }) => {
    const { store } = setup(redis.client);
    const id = 'key_unknown000000000000000';
    for (const transition of transitions)
      expect(await refusal(store.transition(id, transition, 'root', null))).toMatchObject({
        code: 'not_found',
        details: { key_id: id },
      });
    expect(await refusal(store.update(id, { name: 'x' }, 'root'))).toMatchObject({ code: 'not_found' });
    expect(await refusal(store.update(id, {}, 'root'))).toMatchObject({ code: 'not_found' });
    expect(
      await refusal(store.rotate(id, newSuccessor({ type: 'secret', environment: 'live' }), 60, 'root')),
    ).toMatchObject({ code: 'not_found' });
    expect(await redis.client.keys(`${redis.prefix}*`)).toEqual([]); // KEYS patterns are not prefixed by ioredis
  });
});

describe('update', () => {
  test('changes only the patched fields, audits before and after, and announces updated', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey();
    await store.create(key, 'root');
    await events(store);
    const at = new Date(T0 + 5000);
    const updated = await store.update(
      key.id,
      { name: 'renamed', scopes: [], rate_limit: null, allowed_origins: ['https://a.example'] },
      'key:admin',
      at,
    );
    expect(updated).toMatchObject({
      name: 'renamed',
      scopes: [],
      rate_limit: null,
      allowed_origins: ['https://a.example'],
      allowed_ips: key.allowed_ips,
      version: 2,
      updated_at: toEventTime(at),
    });
    expect(await store.getById(key.id)).toEqual(updated);
    const entries = await store.audit(key.tenant_id, { keyId: key.id });
    expect(entries.at(-1)).toMatchObject({
      action: 'updated',
      actor: 'key:admin',
      details: {
        before: { name: 'test key', scopes: key.scopes, rate_limit: key.rate_limit, allowed_origins: [] },
        after: { name: 'renamed', scopes: [], rate_limit: null, allowed_origins: ['https://a.example'] },
      },
    });
    expect(await events(store)).toEqual([
      expect.objectContaining({ type: 'updated', key_id: key.id, actor: 'key:admin' }),
    ]);
    expect(await store.update(key.id, {}, 'root')).toEqual(updated);
    expect(await events(store)).toEqual([]);
  });

  test('is allowed on deactivated and suspended keys and refused on revoked and expired ones', async ({ redis }) => {
    const { store } = setup(redis.client);
    for (const state of ['deactivated', 'suspended', 'rotating'] as const) {
      const key = await keyIn(store, state);
      expect(await store.update(key.id, { name: state }, 'root'), state).toMatchObject({ name: state, state });
    }
    for (const state of ['revoked', 'expired'] as const) {
      const key = await keyIn(store, state);
      expect(await refusal(store.update(key.id, { name: 'x' }, 'root')), state).toMatchObject({
        code: 'invalid_transition',
        details: { transition: 'update', from: state },
      });
      expect(await store.getById(key.id)).toEqual(key);
    }
  });
});

describe('rotate', () => {
  test('the old key rotates until the end of the grace period and the successor takes over with the same settings', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey({ name: 'checkout', allowed_origins: ['https://shop.example'] });
    await store.create(key, 'root');
    await events(store);
    const successor = newSuccessor(key);
    const at = new Date(T0 + 1000);
    const { previous, next } = await store.rotate(key.id, successor, 86_400, 'key:admin', at);
    expect(previous).toMatchObject({
      id: key.id,
      state: 'rotating',
      expires_at: toEventTime(at.getTime() + 86_400_000),
      rotated_to: successor.id,
      version: 2,
      updated_at: toEventTime(at),
    });
    expect(next).toEqual({
      id: successor.id,
      tenant_id: key.tenant_id,
      environment: key.environment,
      type: key.type,
      name: 'checkout',
      scopes: key.scopes,
      state: 'active',
      state_reason: null,
      prefix: successor.prefix,
      last4: successor.last4,
      created_at: toEventTime(at),
      created_by: 'key:admin',
      updated_at: toEventTime(at),
      expires_at: null,
      rotated_from: key.id,
      rotated_to: null,
      allowed_ips: key.allowed_ips,
      allowed_origins: ['https://shop.example'],
      rate_limit: key.rate_limit,
      last_used_at: null,
      version: 1,
    });
    expect(await store.getByHash(successor.hash)).toEqual(next);
    expect(await store.getByHash(key.hash)).toEqual(previous);
    expect((await store.list(key.tenant_id)).map((r) => r.id)).toEqual([successor.id, key.id]);
    expect(await store.dueExpiries(new Date(at.getTime() + 86_400_000), 10)).toEqual([key.id]);

    const audit = await store.audit(key.tenant_id, { from: at });
    expect(audit.map((e) => [e.key_id, e.action])).toEqual([
      [key.id, 'rotated'],
      [successor.id, 'created'],
    ]);
    expect(audit[0]?.details).toEqual({
      successor: successor.id,
      grace_period_s: 86_400,
      expires_at: previous.expires_at,
      from: 'active',
      to: 'rotating',
    });
    expect(audit[1]?.details).toMatchObject({
      rotated_from: key.id,
      scopes: key.scopes,
      allowed_origins: ['https://shop.example'],
      expires_at: null,
      prefix: successor.prefix,
    });
    expect((await events(store)).map((e) => [e.key_id, e.type])).toEqual([
      [key.id, 'rotated'],
      [successor.id, 'created'],
    ]);
  });

  test('grace 0 expires the old key at once', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey({ expires_at: toEventTime(T0 + HOUR) });
    await store.create(key, 'root');
    const { previous, next } = await store.rotate(key.id, newSuccessor(key), 0, 'root');
    expect(previous).toMatchObject({ state: 'expired', expires_at: toEventTime(T0), rotated_to: next.id });
    expect(next.state).toBe('active');
    expect(await store.dueExpiries(new Date(T0 + 10 * HOUR), 10)).toEqual([next.id]);
    const entry = (await store.audit(key.tenant_id, { keyId: key.id })).at(-1);
    expect(entry?.details).toMatchObject({ to: 'expired', grace_period_s: 0 });
  });

  test('rotation never extends a lifetime: the old key keeps an earlier expiry, the successor inherits it', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const expiresAt = '2030-01-01T00:30:00.000Z';
    const { key } = newTestKey({ expires_at: expiresAt });
    await store.create(key, 'root');
    const { previous, next } = await store.rotate(key.id, newSuccessor(key), 86_400, 'root');
    expect(previous).toMatchObject({ state: 'rotating', expires_at: expiresAt });
    expect(next.expires_at).toBe(expiresAt);
    expect((await store.audit(key.tenant_id, { keyId: key.id })).at(-1)?.details).toMatchObject({
      expires_at: expiresAt,
    });
  });

  test('only an active key without a successor rotates; a refused rotation writes nothing', async ({ redis }) => {
    const { store } = setup(redis.client);
    const { key } = newTestKey();
    await store.create(key, 'root');
    const first = await store.rotate(key.id, newSuccessor(key), 60, 'root');
    await events(store);
    const again = newSuccessor(key);
    expect(await refusal(store.rotate(key.id, again, 60, 'root'))).toMatchObject({
      code: 'already_rotated',
      details: { key_id: key.id, rotated_to: first.next.id },
    });
    for (const state of ['deactivated', 'suspended', 'revoked', 'expired'] as const) {
      const other = await keyIn(store, state);
      await events(store);
      expect(await refusal(store.rotate(other.id, again, 60, 'root')), state).toMatchObject({
        code: 'invalid_transition',
        details: { transition: 'rotate', from: state },
      });
    }
    const fresh = newTestKey().key;
    await store.create(fresh, 'root');
    await events(store);
    expect(await refusal(store.rotate(fresh.id, { ...again, id: first.next.id }, 60, 'root'))).toMatchObject({
      code: 'conflict',
      details: { field: 'id' },
    });
    expect(await refusal(store.rotate(fresh.id, { ...again, hash: key.hash }, 60, 'root'))).toMatchObject({
      code: 'conflict',
      details: { field: 'hash' },
    });
    expect(await refusal(store.rotate(fresh.id, { ...again, prefix: 'pk_live_' }, 60, 'root'))).toMatchObject({
      code: 'invalid_argument',
      details: { field: 'prefix' },
    });
    expect(await store.getById(fresh.id)).toMatchObject({ state: 'active', version: 1, rotated_to: null });
    expect(await store.getById(again.id)).toBeNull();
    expect(await store.getByHash(again.hash)).toBeNull();
    expect(await events(store)).toEqual([]);
  });
});

describe('audit log', () => {
  test('entries are read by time range, key, limit and order; ids carry the caller’s clock, clamped when it goes back', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const a = newTestKey().key;
    const b = newTestKey().key;
    await store.create(a, 'root', new Date(T0));
    await store.create(b, 'root', new Date(T0 + 1000));
    await store.transition(a.id, 'suspend', 'detector:alert_9', 'usage_spike', new Date(T0 + 2000), {
      trigger_id: 'trg_1',
      alert_id: 'alert_9',
    });
    await store.recordAudit(
      {
        tenant_id: 'tenant_test',
        key_id: b.id,
        actor: 'detector:alert_10',
        action: 'trigger_refused',
        reason: 'tenant policy is notify_only',
        details: { trigger_id: 'trg_2' },
      },
      new Date(T0 + 3000),
    );
    const late = await store.recordAudit(
      { tenant_id: 'tenant_test', key_id: null, actor: 'root', action: 'note', reason: null, details: {} },
      new Date(T0 + 500),
    );

    const all = await store.audit('tenant_test');
    expect(all.map((e) => e.action)).toEqual(['created', 'created', 'suspended', 'trigger_refused', 'note']);
    expect(all.map((e) => Number(e.id.split('-')[0]))).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 3000]);
    expect(late).toMatchObject({ ts: toEventTime(T0 + 500), key_id: null, reason: null, tenant_id: 'tenant_test' });
    expect(all.at(-1)).toEqual(late);
    expect(all[2]).toMatchObject({
      key_id: a.id,
      actor: 'detector:alert_9',
      reason: 'usage_spike',
      details: { trigger_id: 'trg_1', alert_id: 'alert_9', from: 'active', to: 'suspended' },
    });

    expect((await store.audit('tenant_test', { keyId: a.id })).map((e) => e.action)).toEqual(['created', 'suspended']);
    expect(
      (await store.audit('tenant_test', { from: new Date(T0 + 1000), to: new Date(T0 + 2000) })).map((e) => e.action),
    ).toEqual(['created', 'suspended']);
    expect((await store.audit('tenant_test', { limit: 2 })).map((e) => e.ts)).toEqual([
      toEventTime(T0),
      toEventTime(T0 + 1000),
    ]);
    expect((await store.audit('tenant_test', { order: 'desc', limit: 2 })).map((e) => e.action)).toEqual([
      'note',
      'trigger_refused',
    ]);
    expect((await store.audit('tenant_test', { keyId: b.id, order: 'desc' })).map((e) => e.action)).toEqual([
      'trigger_refused',
      'created',
    ]);
    expect(await store.audit('tenant_nobody')).toEqual([]);
  });

  test('reads page through long streams', async ({ redis }) => {
    const { store } = setup(redis.client);
    for (let i = 0; i < 450; i++) {
      await store.recordAudit(
        {
          tenant_id: 'tenant_big',
          key_id: i % 3 === 0 ? 'key_a' : 'key_b',
          actor: 'root',
          action: 'note',
          reason: String(i),
          details: { i },
        },
        new Date(T0 + i),
      );
    }
    const forKeyA = await store.audit('tenant_big', { keyId: 'key_a', limit: 10_000 });
    expect(forKeyA.map((e) => e.details.i)).toEqual(Array.from({ length: 150 }, (_, i) => i * 3));
    const newest = await store.audit('tenant_big', { order: 'desc', limit: 250 });
    expect(newest.map((e) => e.reason)).toEqual(Array.from({ length: 250 }, (_, i) => String(449 - i)));
    expect(await store.audit('tenant_big')).toHaveLength(450);
    expect(await store.tenants()).toEqual(['tenant_big']);
  });
});

describe('trigger policy, caps and idempotency', () => {
  test('policies default to notify_only and every change is audited with before and after', async ({ redis }) => {
    const { store } = setup(redis.client);
    expect(await store.getPolicy('tenant_a')).toEqual({
      mode: 'notify_only',
      allow_live_revoke: false,
      max_actions_per_hour: 10,
    });
    const first = { mode: 'revoke', allow_live_revoke: true, max_actions_per_hour: 3 } as const;
    expect(await store.setPolicy('tenant_a', first, 'root')).toEqual(first);
    expect(await store.getPolicy('tenant_a')).toEqual(first);
    await store.setPolicy(
      'tenant_a',
      { mode: 'suspend', allow_live_revoke: false, max_actions_per_hour: 0 },
      'key:admin',
    );
    const entries = await store.audit('tenant_a');
    expect(entries.map((e) => [e.action, e.actor, e.key_id])).toEqual([
      ['policy_updated', 'root', null],
      ['policy_updated', 'key:admin', null],
    ]);
    expect(entries[0]?.details).toEqual({ before: null, after: first });
    expect(entries[1]?.details).toEqual({
      before: first,
      after: { mode: 'suspend', allow_live_revoke: false, max_actions_per_hour: 0 },
    });
    expect(await store.getPolicy('tenant_b')).toMatchObject({ mode: 'notify_only' });
    expect(
      await refusal(
        store.setPolicy(
          'tenant_a',
          { mode: 'nuke' as 'revoke', allow_live_revoke: true, max_actions_per_hour: 1 },
          'root',
        ),
      ),
    ).toMatchObject({ code: 'invalid_argument', details: { field: 'mode' } });
    expect(await store.tenants()).toEqual(['tenant_a']);
  });

  test('a trigger id is claimed once, for 30 days', async ({ redis }) => {
    const { store } = setup(redis.client);
    expect(await store.isTriggerClaimed('trg_1')).toBe(false);
    const claims = await Promise.all([
      store.claimTrigger('trg_1'),
      store.claimTrigger('trg_1'),
      store.claimTrigger('trg_1'),
    ]);
    expect(claims.sort()).toEqual([false, false, true]);
    expect(await store.isTriggerClaimed('trg_1')).toBe(true);
    expect(await store.claimTrigger('trg_2')).toBe(true);
    const ttl = await redis.client.ttl(layout.trigger('trg_1'));
    expect(ttl).toBeGreaterThan(30 * 86_400 - 60);
    expect(ttl).toBeLessThanOrEqual(30 * 86_400);
  });

  test('automatic actions stop at the hourly cap per tenant and start again the next hour', async ({ redis }) => {
    const { store } = setup(redis.client);
    const hour = new Date('2030-01-01T05:59:59.000Z');
    const parallel = await Promise.all(Array.from({ length: 8 }, () => store.takeAutomaticAction('tenant_a', 3, hour)));
    expect(parallel.filter(Boolean)).toHaveLength(3);
    expect(await store.takeAutomaticAction('tenant_a', 3, new Date('2030-01-01T05:00:00.000Z'))).toBe(false);
    expect(await store.takeAutomaticAction('tenant_b', 3, hour)).toBe(true);
    expect(await store.takeAutomaticAction('tenant_a', 3, new Date('2030-01-01T06:00:00.000Z'))).toBe(true);
    expect(await store.takeAutomaticAction('tenant_a', 0, new Date('2030-01-01T07:00:00.000Z'))).toBe(false);
    expect(await redis.client.get(layout.actions('tenant_a', '2030010105'))).toBe('3');
    expect(await redis.client.ttl(layout.actions('tenant_a', '2030010105'))).toBeGreaterThan(3600);
  });
});

describe('expiry index', () => {
  test('dueExpiries lists exactly the keys expire accepts, soonest first, up to the limit', async ({ redis }) => {
    const { store } = setup(redis.client);
    const soon = newTestKey({ expires_at: toEventTime(T0 + 1000) }).key;
    const sooner = newTestKey({ expires_at: toEventTime(T0 + 500) }).key;
    const later = newTestKey({ expires_at: toEventTime(T0 + HOUR) }).key;
    const never = newTestKey().key;
    const parked = newTestKey({ expires_at: toEventTime(T0 + 100) }).key;
    for (const key of [soon, sooner, later, never, parked]) await store.create(key, 'root');
    await store.transition(parked.id, 'deactivate', 'root', null);
    const at = new Date(T0 + 2000);
    expect(await store.dueExpiries(at, 10)).toEqual([sooner.id, soon.id]);
    expect(await store.dueExpiries(at, 1)).toEqual([sooner.id]);
    for (const id of await store.dueExpiries(at, 10)) await store.transition(id, 'expire', 'system:expiry', null, at);
    expect(await store.dueExpiries(at, 10)).toEqual([]);
    expect(await store.dueExpiries(new Date(T0 + HOUR), 10)).toEqual([later.id]);
  });
});

test('the Lua iso() formats Unix milliseconds exactly as toEventTime does', async ({ redis }) => {
  const samples = [0, 951_782_400_000, 951_868_799_999, 4_107_542_399_999, 253_402_300_799_999, T0, T0 - 1];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.random() * 253_402_300_799_999));
  const lua = `${PRELUDE.source}\nlocal out = {}\nfor i = 2, #ARGV do out[#out + 1] = iso(ARGV[i]) end\nreturn out`;
  const formatted = (await redis.client.eval(lua, 0, 'unused', ...samples.map(String))) as string[];
  expect(formatted).toEqual(samples.map((ms) => toEventTime(ms)));
});

describe('batch reads for leak reports and hygiene', () => {
  test('getManyByHash answers many hashes in one round trip, in order, null for unknown ones', async ({ redis }) => {
    const { store } = setup(redis.client);
    const a = newTestKey();
    const b = newTestKey({ type: 'publishable', scopes: ['bundles:read'] });
    await store.create(a.key, 'root');
    await store.create(b.key, 'root');
    const unknown = newTestKey().key.hash;
    const found = await store.getManyByHash([b.key.hash, unknown, a.key.hash, b.key.hash]);
    expect(found.map((r) => r?.id ?? null)).toEqual([b.key.id, null, a.key.id, b.key.id]);
    expect(found[2]).toEqual(await store.getByHash(a.key.hash));
    expect(await store.getManyByHash([])).toEqual([]);
  });

  test('upcomingExpiries lists the active and rotating keys expiring in (from, to], soonest first', async ({
    redis,
  }) => {
    const { store } = setup(redis.client);
    const at = (h: number) => new Date(T0 + h * HOUR).toISOString();
    const soon = newTestKey({ expires_at: at(2) });
    const later = newTestKey({ expires_at: at(30) });
    const beyond = newTestKey({ expires_at: at(200) });
    const revoked = newTestKey({ expires_at: at(3) });
    for (const k of [later, soon, beyond, revoked]) await store.create(k.key, 'root');
    await store.transition(revoked.key.id, 'revoke', 'root', null);
    expect(await store.upcomingExpiries(new Date(T0), new Date(T0 + 168 * HOUR), 10)).toEqual([
      soon.key.id,
      later.key.id,
    ]);
    // The lower bound is exclusive: a key expiring exactly then is already due (dueExpiries).
    expect(await store.upcomingExpiries(new Date(T0 + 2 * HOUR), new Date(T0 + 168 * HOUR), 10)).toEqual([
      later.key.id,
    ]);
    expect(await store.upcomingExpiries(new Date(T0), new Date(T0 + 168 * HOUR), 1)).toEqual([soon.key.id]);
  });
});
