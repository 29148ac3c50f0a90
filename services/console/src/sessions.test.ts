import { afterEach, expect, test } from 'vitest';
import { pickBody, upstreamPath } from './routes.js';
import { createMemorySessionStore, type SessionStore } from './sessions.js';

let store: (SessionStore & { size(): number }) | undefined;
afterEach(() => store?.close());

const input = {
  key: 'sk_live_x',
  tenantId: 't',
  capabilities: { analytics: true, audit: true, manage: false, webhooks: false },
};

test('session ids are long, random and never the key', async () => {
  store = createMemorySessionStore({ ttlMs: 60_000 });
  const ids = new Set(await Promise.all(Array.from({ length: 100 }, async () => (await store!.create(input)).id)));
  expect(ids.size).toBe(100);
  for (const id of ids) {
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain('sk_live');
  }
});

test('beyond the bound the least recently used session goes first', async () => {
  store = createMemorySessionStore({ ttlMs: 60_000, maxSessions: 2 });
  const a = await store.create(input);
  const b = await store.create(input);
  expect(await store.touch(a.id)).not.toBeNull();
  const c = await store.create(input);
  expect([
    (await store.touch(a.id)) !== null,
    (await store.touch(b.id)) !== null,
    (await store.touch(c.id)) !== null,
  ]).toEqual([true, false, true]);
  expect(store.size()).toBe(2);
});

test('upstream paths keep the query and map /api to /v1', () => {
  expect(upstreamPath('/api/alerts?status=open&key_id=key_1')).toBe('/v1/alerts?status=open&key_id=key_1');
  expect(upstreamPath('/api/keys/key_1/revoke')).toBe('/v1/keys/key_1/revoke');
});

test('action bodies keep only the named fields of a JSON object', () => {
  expect(pickBody({ reason: 'r', scopes: ['keys:manage'] }, ['reason'])).toEqual({ reason: 'r' });
  expect(pickBody(['reason'], ['reason'])).toEqual({});
  expect(pickBody(null, ['reason'])).toEqual({});
});
