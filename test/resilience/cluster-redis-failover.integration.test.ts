import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestGateway } from '@keywatch/gateway/testing';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { killNode } from '@keywatch/local-stack';
import { clusterOf } from '@keywatch/redis';
import { expect, metricSum, poll, test, useCluster } from '@keywatch/testkit';

// The cluster profile's Redis (3 masters, a replica each): the master holding the keystore and the
// tight key's rate-limit bucket is failed over twice under gateway load — a manual CLUSTER FAILOVER
// on its replica, then a SIGKILL of the new master (its replica is promoted after the node
// timeout). Checked: no request beyond what the GCRA limit allows was let through; every Redis
// failure is a counted 429 "could not be verified" (fail closed), never a 5xx; after the failovers
// a revocation still reaches the gateway in under 1 s.

interface Answer {
  key: 'tight' | 'loose';
  status: number;
  at: number;
}

const LIMIT = 40;
const WINDOW_S = 10;

test('cluster: Redis masters failed over (CLUSTER FAILOVER, then a killed master) under gateway load; limits hold, errors counted, revocation under 1 s', async ({
  logger,
}) => {
  const cl = await useCluster(logger, (line) => process.stdout.write(`[cluster] ${line}\n`));
  const ks = await startTestKeyService({ kafka: cl.kafka, redis: cl.redis, logger });
  const gateway = await startTestGateway(
    { kafka: cl.kafka, redis: cl.redis, logger },
    { GATEWAY_EVENT_BUFFER: '500000' },
  );
  const cluster = clusterOf(cl.redis.client);
  if (!cluster) throw new Error('the cluster profile must give a Redis Cluster client');
  const restart: (() => Promise<void>)[] = [];
  let running = true;
  try {
    const create = (name: string, limit: number) =>
      ks.createKey({
        tenant_id: 'tenant_cl_redis',
        type: 'secret',
        environment: 'live',
        name,
        scopes: ['subscriptions:read'],
        rate_limit: { limit, window_s: WINDOW_S },
      });
    const keys = { tight: await create('tight', LIMIT), loose: await create('loose', 1_000_000) };
    const revokeMe = await create('revoke-me', 1_000_000);

    // The master that serves the keystore's slot (and so the key records the gateway reads).
    const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', `${cl.redis.prefix}{ks}:x`));
    // Asked of a node that takes no part in the failovers (set once the pair is known).
    let observer = cl.settings.redis[0]!.port;
    const ownerOf = async (): Promise<{ master: number; replica: number }> => {
      const text = await execRedis(observer, 'CLUSTER', 'NODES');
      const lines = text
        .trim()
        .split('\n')
        .map((l) => l.split(' '));
      const port = (address: string) => Number(address.split('@')[0]!.split(':')[1]);
      const master = lines.find(
        (f) =>
          f[2]!.includes('master') &&
          !f[2]!.includes('fail') &&
          f.slice(8).some((range) => {
            const [a, b] = range.split('-').map(Number);
            return a! <= slot && slot <= (b ?? a!);
          }),
      );
      if (!master) throw new Error(`no master serves slot ${slot}`);
      const replica = lines.find((f) => f[3] === master[0] && !f[2]!.includes('fail'));
      return { master: port(master[1]!), replica: replica ? port(replica[1]!) : 0 };
    };

    const answers: Answer[] = [];
    const loop = async (key: Answer['key']) => {
      while (running) {
        const response = await fetch(new URL('/v1/subscriptions', gateway.url), {
          headers: { authorization: `Bearer ${keys[key].secret}` },
        });
        await response.arrayBuffer();
        answers.push({ key, status: response.status, at: performance.now() });
        await new Promise((resolve) => setTimeout(resolve, key === 'tight' ? 20 : 5));
      }
    };
    const started = performance.now();
    const load = [loop('tight'), loop('loose'), loop('loose')];
    await poll(
      async () => answers.length,
      (n) => n >= 300,
      30_000,
      50,
    );

    // Until the gateway answers 200 again for the loose key: how long the failover cost requests.
    const recovered = async (since: number) => {
      await poll(
        async () => answers.filter((a) => a.key === 'loose' && a.at > since && a.status === 200).length,
        (n) => n >= 20,
        60_000,
        50,
      );
      return (answers.find((a) => a.key === 'loose' && a.at > since && a.status === 200)?.at ?? since) - since;
    };

    // 1. A manual failover: the replica takes over after catching up (no write lost).
    const before = await ownerOf();
    observer = cl.settings.redis.map((n) => n.port).find((p) => p !== before.master && p !== before.replica)!;
    const owner = () => ownerOf().catch(() => ({ master: 0, replica: 0 }));
    const manualAt = performance.now();
    await execRedis(before.replica, 'CLUSTER', 'FAILOVER');
    expect((await poll(owner, (o) => o.master === before.replica, 30_000, 100)).master).toBe(before.replica);
    const manualS = (performance.now() - manualAt) / 1000;
    const manualRecoverMs = await recovered(manualAt);

    // 2. The new master killed: its replica (the old master) is promoted after the node timeout.
    const victim = cl.nodes.find((n) => n.port === before.replica);
    if (!victim) throw new Error(`no node on port ${before.replica}`);
    const killAt = performance.now();
    await killNode(victim);
    restart.push(() => victim.start(() => {}));
    expect((await poll(owner, (o) => o.master === before.master, 60_000, 100)).master).toBe(before.master);
    const killS = (performance.now() - killAt) / 1000;
    const killRecoverMs = await recovered(killAt);
    await victim.start(() => {});
    restart.pop();
    const mark = answers.length;
    await poll(
      async () => answers.length,
      (n) => n >= mark + 200,
      30_000,
      50,
    );

    // 3. A revocation after the failovers: the gateway refuses the key within a second.
    const warm = await fetch(new URL('/v1/subscriptions', gateway.url), {
      headers: { authorization: `Bearer ${revokeMe.secret}` },
    });
    expect(warm.status).toBe(200);
    const revokeAt = performance.now();
    expect((await ks.call('POST', `/v1/keys/${revokeMe.id}/revoke`, ks.rootKey, { reason: 'test' })).status).toBe(200);
    const refusedAfter = await poll(
      async () => {
        const r = await fetch(new URL('/v1/subscriptions', gateway.url), {
          headers: { authorization: `Bearer ${revokeMe.secret}` },
        });
        await r.arrayBuffer();
        return { status: r.status, ms: performance.now() - revokeAt };
      },
      (r) => r.status === 401 || r.status === 403,
      5_000,
      20,
    );
    running = false;
    await Promise.all(load);
    const elapsedS = (performance.now() - started) / 1000;

    // Where this test's keys live: keystore keys share the {ks} slot (one master); rate-limit
    // buckets and the rest spread by their own tags.
    const spread: string[] = [];
    for (const node of cluster.nodes('master')) {
      let keystore = 0;
      let other = 0;
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${cl.redis.prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const k of found)
          if (k.includes('{ks}')) keystore += 1;
          else other += 1;
      } while (cursor !== '0');
      spread.push(`${node.options.port}: ${keystore} keystore + ${other} other`);
    }

    // No 5xx: every Redis failure is a 429 the client may retry (fail closed).
    expect(answers.filter((a) => a.status >= 500)).toEqual([]);
    const unverified = answers.filter((a) => a.status === 429 && a.key === 'loose').length;
    const tightAllowed = answers.filter((a) => a.key === 'tight' && a.status === 200).length;
    // GCRA: at most the burst plus the rate over the time the load ran (a lost bucket write on the
    // killed master could only have let more through; none may).
    const bound = LIMIT + Math.ceil((elapsedS * LIMIT) / WINDOW_S);
    const failures = await metricSum(gateway.url, 'keywatch_gateway_redis_failures_total').catch(() => Number.NaN);
    process.stdout.write(
      `[cluster-redis] ${answers.length} requests over ${elapsedS.toFixed(1)} s; slot ${slot} on ${before.master}->${before.replica}->${before.master}; ` +
        `CLUSTER FAILOVER ${manualS.toFixed(1)} s (gateway back to 200 after ${manualRecoverMs.toFixed(0)} ms), ` +
        `killed master replaced in ${killS.toFixed(1)} s (gateway back after ${killRecoverMs.toFixed(0)} ms); ` +
        `${unverified} loose-key requests answered 429 unverified, redis failures metric ${failures}; ` +
        `tight key allowed ${tightAllowed} (bound ${bound}); revocation seen after ${refusedAfter.ms.toFixed(0)} ms; keys per master ${spread.join(', ')}\n`,
    );
    expect(tightAllowed).toBeLessThanOrEqual(bound);
    expect(tightAllowed).toBeGreaterThan(LIMIT);
    expect(refusedAfter.ms).toBeLessThan(1_000);
    // Bounded: the failover windows cost requests, not the whole run.
    expect(unverified).toBeLessThan(answers.filter((a) => a.key === 'loose').length / 2);
  } finally {
    running = false;
    for (const fn of restart) await fn().catch(() => undefined);
    await gateway.close();
    await ks.close();
    await cl.dispose();
  }
}, 300_000);

async function execRedis(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(port), ...args]);
  return stdout;
}
