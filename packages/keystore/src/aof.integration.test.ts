import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { toEventTime } from '@keywatch/contracts';
import { createRedis, type Redis } from '@keywatch/redis';
import { expect, test } from '@keywatch/testkit';
import { freePort } from '@keywatch/testkit/free-port';
import { layout } from './layout.js';
import { createKeyStore } from './store.js';
import { newSuccessor, newTestKey } from './testing.js';
import type { KeyStore } from './types.js';

const REDIS_SERVER = 'redis-server';
const hasRedisServer = spawnSync(REDIS_SERVER, ['--version'], { stdio: 'ignore' }).status === 0;
const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;

/** A redis-server of this test's own, AOF on with an fsync per write; resolves once it serves. */
function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--daemonize',
    'no',
    '--maxmemory-policy',
    'noeviction',
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`redis-server did not get ready within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}:\n${log}`));
    };
    const onOutput = (chunk: Buffer) => {
      log += chunk.toString();
      if (/Ready to accept connections/.test(log)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', (error) => fail(`redis-server could not start: ${error.message}`));
    child.once('exit', (code, signal) => fail(`redis-server exited (${code ?? signal})`));
  });
}

/** Kills with SIGKILL (no chance to flush anything) and waits, bounded, for the process to be gone. */
async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`redis-server ${child.pid} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGKILL`)),
      EXIT_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything the store can tell about its keys, for a before/after comparison. */
async function snapshot(store: KeyStore, redis: Redis, ids: string[], hashes: string[]) {
  const tenants = await store.tenants();
  return {
    records: await Promise.all(ids.map((id) => store.getById(id))),
    byHash: await Promise.all(hashes.map((hash) => store.getByHash(hash))),
    tenants,
    lists: await Promise.all(tenants.map((tenant) => store.list(tenant))),
    audit: await Promise.all(tenants.map((tenant) => store.audit(tenant, { limit: 100_000 }))),
    policies: await Promise.all(tenants.map((tenant) => store.getPolicy(tenant))),
    due: await store.dueExpiries(new Date('2100-01-01T00:00:00.000Z'), 100_000),
    outbox: await redis.xrange(layout.outbox, '-', '+'),
    claimed: await store.isTriggerClaimed('trg_aof'),
  };
}

test.skipIf(!hasRedisServer)(
  'records, indexes, audit and outbox survive kill -9 of a Redis with AOF on (appendfsync always)',
  async ({ annotate, onTestFinished }) => {
    const started = performance.now();
    const dir = mkdtempSync(path.join(tmpdir(), 'kw-keystore-aof-'));
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const clients: Redis[] = [];
    let server: ChildProcess | undefined;
    // Runs even when the test fails or times out: no stray server, no stray directory.
    onTestFinished(async () => {
      for (const client of clients) client.disconnect();
      if (server) await kill9(server);
      rmSync(dir, { recursive: true, force: true });
    });
    const connect = () => {
      const client = createRedis({
        url,
        keyPrefix: 'kw:',
        connectionName: 'keystore-aof-test',
        commandTimeoutMs: 5000,
      });
      clients.push(client);
      return client;
    };

    server = await startRedis(port, dir);
    const before = connect();
    expect(await before.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await before.config('GET', 'appendfsync')).toEqual(['appendfsync', 'always']);
    const store = createKeyStore({ redis: before });

    const ids: string[] = [];
    const hashes: string[] = [];
    const t0 = Date.parse('2030-01-01T00:00:00.000Z');
    for (let i = 0; i < 60; i++) {
      const { key } = newTestKey({
        tenant_id: `tenant_${i % 3}`,
        environment: i % 2 ? 'dev' : 'live',
        expires_at: i % 4 === 0 ? toEventTime(t0 + 86_400_000) : null,
      });
      await store.create(key, 'root', new Date(t0 + i));
      ids.push(key.id);
      hashes.push(key.hash);
      const at = new Date(t0 + 1000 + i);
      if (i % 5 === 1) {
        const successor = newSuccessor(key);
        await store.rotate(key.id, successor, 3600, 'key:admin', at);
        ids.push(successor.id);
        hashes.push(successor.hash);
      } else if (i % 5 === 2) await store.transition(key.id, 'revoke', 'root', 'leaked', at);
      else if (i % 5 === 3) await store.update(key.id, { name: `renamed ${i}`, rate_limit: null }, 'root', at);
      else if (i % 5 === 4) await store.touch(key.id, at);
    }
    await store.setPolicy('tenant_0', { mode: 'suspend', allow_live_revoke: false, max_actions_per_hour: 5 }, 'root');
    await store.recordAudit({
      tenant_id: 'tenant_1',
      key_id: ids[0] ?? null,
      actor: 'detector:alert_1',
      action: 'trigger_refused',
      reason: 'notify_only',
      details: { trigger_id: 'trg_aof' },
    });
    await store.claimTrigger('trg_aof');
    // The last acknowledged write before the crash must survive too.
    const last = await store.transition(
      ids[0] ?? '',
      'suspend',
      'detector:alert_2',
      'usage_spike',
      new Date(t0 + 5000),
    );

    const expected = await snapshot(store, before, ids, hashes);
    expect(expected.records.every((r) => r !== null)).toBe(true);
    expect(expected.records[0]).toEqual(last);

    before.disconnect();
    const killedAt = performance.now();
    await kill9(server);
    server = await startRedis(port, dir);
    const restartMs = Math.round(performance.now() - killedAt);

    const after = connect();
    const actual = await snapshot(createKeyStore({ redis: after }), after, ids, hashes);
    expect(actual).toEqual(expected);
    await annotate(
      `${ids.length} keys, ${expected.audit.flat().length} audit entries, ${expected.outbox.length} outbox entries survived kill -9; restart took ${restartMs} ms, test ${Math.round(performance.now() - started)} ms`,
    );
  },
);
