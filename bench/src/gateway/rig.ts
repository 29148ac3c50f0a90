/**
 * The parts `keywatch bench gateway` measures with (`bench/src/gateway.ts` does the measuring):
 * a rig of its own Redis key prefix and Kafka topics, a key service for revocations, keys written
 * straight to the keystore, verifiers wired like the gateway's, and the demo upstream and
 * reference gateways as child processes (so load generator, gateway and upstream do not share an
 * event loop). Everything is deleted on `close()`.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '@keywatch/config';
import { generateKey, hashKey, keyDisplay, newKeyId, type Scope } from '@keywatch/contracts';
import { createLookupAndLimit, createVerifier, type Verifier, type VerifierOptions } from '@keywatch/gateway-sdk';
import { createKafka, loadTopicDefinitions, provisionTopics } from '@keywatch/kafka';
import { createKeyStore, type KeyStore, type RateLimitPolicy } from '@keywatch/keystore';
import { createLogger, type Logger } from '@keywatch/logger';
import { createRateLimiter, type RateLimiter } from '@keywatch/ratelimit';
import { createRedis, deleteKeysWithPrefix, type Redis } from '@keywatch/redis';
import { keyServiceConfig, startKeyService, type KeyService } from '@keywatch/key-service';
import { startPrivateRedis as startRedisServer } from '@keywatch/testkit/support';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const tsxLoader = `file://${path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')}`;

/** The fingerprint secret of the rig's key service and gateways. */
export const BENCH_FINGERPRINT_SECRET = 'bench-fingerprint-secret-0123456789';
/** The scope the bench's keys hold and its requests need (`GET /v1/subscriptions`). */
export const BENCH_SCOPE: Scope = 'subscriptions:read';

/** A key of the bench: its id and secret. */
export interface BenchKey {
  id: string;
  secret: string;
  /** hashKey(secret), as the keystore indexes it. */
  hash: string;
}

/** A child process serving HTTP. */
export interface BenchChild {
  url: string;
  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). Idempotent. */
  close(): Promise<void>;
}

/** What a revocation took to reach the gateways. */
export interface PropagationSample {
  /** From sending the revoke call to its answer. */
  revokeMs: number;
  /** From sending the revoke call until each gateway answered 401 `revoked_key`. */
  gatewayMs: number[];
}

/** The rig; see the module comment. */
export interface GatewayBenchRig {
  redisPrefix: string;
  topicPrefix: string;
  redis: Redis;
  store: KeyStore;
  limiter: RateLimiter;
  keyService: KeyService;
  /** Writes `count` active live secret keys holding {@link BENCH_SCOPE} straight to the keystore. */
  createKeys(count: number, rateLimit: RateLimitPolicy | null): Promise<BenchKey[]>;
  /** A verifier on the rig's Redis, as the gateway builds it (options override). */
  verifier(options?: Partial<VerifierOptions>): Verifier;
  /** The demo upstream in a child process. */
  startUpstream(): Promise<BenchChild>;
  /**
   * The demo upstream plus, per request, one Redis round trip (`redis`) and one auth-events message
   * (`kafka`): what a gateway of the contract cannot avoid (child.ts, `startFloor`).
   */
  startFloor(what: { redis: boolean; kafka: boolean }): Promise<BenchChild>;
  /**
   * A reference gateway in a child process, proxying to `upstreamUrl`, or serving the demo routes
   * itself when it is `null` (its default); `env` adds gateway variables.
   */
  startGateway(upstreamUrl: string | null, env?: Record<string, string>): Promise<BenchChild>;
  /**
   * One revocation: a fresh key is cached as active by every gateway, revoked through the key
   * service, and each gateway is polled (every `pollMs`) until it answers 401 `revoked_key`.
   */
  propagation(gateways: readonly BenchChild[], pollMs?: number): Promise<PropagationSample>;
  /** Stops the children and the key service, deletes the topics and the Redis keys. */
  close(): Promise<void>;
}

/** Options of {@link startGatewayBenchRig}. */
export interface GatewayBenchRigOptions {
  kafkaBrokers: string[];
  redisUrl: string;
  /** Default: warnings only. */
  logger?: Logger;
}

/** The processes the rig starts (child.ts). */
type ChildKind = 'upstream' | 'gateway' | 'floor';

/** Sets up the rig: topics `kwbench-<hex>.*`, Redis prefix `kwbench:<hex>:`, a key service. */
export async function startGatewayBenchRig(options: GatewayBenchRigOptions): Promise<GatewayBenchRig> {
  const logger = options.logger ?? createLogger({ name: 'bench-gateway', level: 'warn' });
  const id = randomBytes(5).toString('hex');
  const redisPrefix = `kwbench:${id}:`;
  const topicPrefix = `kwbench-${id}.`;
  const kafka = createKafka({ brokers: options.kafkaBrokers, clientId: `bench-gateway-${id}`, logger });
  const admin = kafka.admin();
  const redis = createRedis({
    url: options.redisUrl,
    keyPrefix: redisPrefix,
    connectionName: 'keywatch-bench-gateway',
  });
  redis.on('error', () => undefined); // the failing command reports it
  const children = new Set<BenchChild>();
  let keyService: KeyService | undefined;
  let adminConnected = false;

  async function close(): Promise<void> {
    const errors: string[] = [];
    const attempt = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await Promise.all([...children].map((child) => attempt('child', () => child.close())));
    if (keyService) await attempt('key service', async () => keyService!.close());
    if (adminConnected) {
      await attempt('topics', async () => {
        const mine = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
        if (mine.length > 0) await admin.deleteTopics({ topics: mine });
      });
      await attempt('kafka admin', () => admin.disconnect());
    }
    await attempt('redis keys', () => deleteKeysWithPrefix(options.redisUrl, redisPrefix));
    redis.disconnect();
    if (errors.length > 0)
      throw new Error(
        `bench gateway cleanup: ${errors.join('; ')} (delete leftovers under ${redisPrefix} / ${topicPrefix}*)`,
      );
  }

  try {
    await admin.connect();
    adminConnected = true;
    const definitions = loadTopicDefinitions(path.join(repoRoot, 'infra/kafka/topics.json')).map((d) => ({
      ...d,
      partitions: Math.min(d.partitions, 3),
    }));
    await provisionTopics(admin, definitions, { prefix: topicPrefix });
    const rootKey = generateKey({ type: 'secret', environment: 'live' });
    const env = {
      KAFKA_BROKERS: options.kafkaBrokers.join(','),
      REDIS_URL: options.redisUrl,
      KEYWATCH_TOPIC_PREFIX: topicPrefix,
      KEYWATCH_FINGERPRINT_SECRET: BENCH_FINGERPRINT_SECRET,
      LOG_LEVEL: 'warn',
    };
    keyService = await startKeyService(
      parseConfig(keyServiceConfig, {
        ...env,
        KEYWATCH_ROOT_KEY: rootKey,
        KEY_SERVICE_PORT: '0',
        KEY_SERVICE_GROUP_ID: `bench-key-service-${id}`,
      }),
      logger,
      { redisKeyPrefix: redisPrefix },
    );
    const store = createKeyStore({ redis });
    const limiter = createRateLimiter({ redis });
    const lookupAndLimit = createLookupAndLimit({ redis });

    const startChild = async (kind: ChildKind, childEnv: Record<string, string>): Promise<BenchChild> => {
      const child = await spawnChild(kind, { ...process.env, ...env, ...childEnv });
      children.add(child);
      return { url: child.url, close: () => child.close().finally(() => children.delete(child)) };
    };
    const gatewayCount = { n: 0 };
    const lifecycleEvents = async (gateway: BenchChild) => {
      const text = await (await fetch(new URL('/metrics', gateway.url))).text();
      return Number(/^keywatch_gateway_lifecycle_events_total (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const status = async (gateway: BenchChild, key: BenchKey): Promise<{ status: number; code: string | null }> => {
      const response = await fetch(new URL('/v1/subscriptions', gateway.url), {
        headers: { authorization: `Bearer ${key.secret}` },
      });
      const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
      return { status: response.status, code: body.error?.code ?? null };
    };
    const rig: GatewayBenchRig = {
      redisPrefix,
      topicPrefix,
      redis,
      store,
      limiter,
      keyService,
      async createKeys(count, rateLimit) {
        const keys: BenchKey[] = [];
        for (let i = 0; i < count; i += 1) {
          const secret = generateKey({ type: 'secret', environment: 'live' });
          const hash = hashKey(secret);
          const created = await store.create(
            {
              id: newKeyId(),
              hash,
              tenant_id: `tenant_bench_${i % 20}`,
              environment: 'live',
              type: 'secret',
              name: 'bench key',
              scopes: [BENCH_SCOPE],
              ...keyDisplay(secret),
              expires_at: null,
              allowed_ips: [],
              allowed_origins: [],
              rate_limit: rateLimit,
            },
            'root',
          );
          keys.push({ id: created.id, secret, hash });
        }
        return keys;
      },
      verifier: (overrides = {}) =>
        createVerifier({
          store,
          limiter,
          lookupAndLimit,
          environment: 'live',
          fingerprintSecret: BENCH_FINGERPRINT_SECRET,
          logger: createLogger({ name: 'bench-verifier', level: 'silent' }),
          ...overrides,
        }),
      startUpstream: () => startChild('upstream', {}),
      startFloor: ({ redis: withRedis, kafka }) =>
        startChild('floor', {
          KW_BENCH_REDIS_PREFIX: redisPrefix,
          KW_BENCH_FLOOR_REDIS: String(withRedis),
          KW_BENCH_FLOOR_KAFKA: String(kafka),
        }),
      startGateway(upstreamUrl, gatewayEnv = {}) {
        gatewayCount.n += 1;
        return startChild('gateway', {
          ...(upstreamUrl ? { GATEWAY_UPSTREAM_URL: upstreamUrl } : {}),
          GATEWAY_PORT: '0',
          GATEWAY_ID: `bench-${id}-${gatewayCount.n}`,
          KW_BENCH_REDIS_PREFIX: redisPrefix,
          ...gatewayEnv,
        });
      },
      async propagation(gateways, pollMs = 2) {
        const seen = await Promise.all(gateways.map(lifecycleEvents));
        const [key] = await rig.createKeys(1, null);
        // The key's `created` event drops nothing but could land after the warm-up; let it pass.
        await Promise.all(
          gateways.map((gateway, i) =>
            pollFor(
              async () => (await lifecycleEvents(gateway)) > seen[i]!,
              15_000,
              'a gateway did not see the created event',
            ),
          ),
        );
        for (const gateway of gateways) {
          for (let i = 0; i < 2; i += 1) {
            const answer = await status(gateway, key!);
            if (answer.status !== 200)
              throw new Error(`warm-up: gateway answered ${answer.status} ${answer.code ?? ''}`);
          }
        }
        const started = performance.now();
        const revoked = fetch(new URL(`/v1/keys/${key!.id}/revoke`, keyService!.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${rootKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'bench' }),
        }).then(async (response) => {
          if (response.status !== 200) throw new Error(`revoke answered ${response.status}: ${await response.text()}`);
          return performance.now() - started;
        });
        const gatewayMs = await Promise.all(
          gateways.map(async (gateway) => {
            await pollFor(
              async () => (await status(gateway, key!)).code === 'revoked_key',
              15_000,
              'a gateway still accepted a revoked key after 15 s',
              pollMs,
            );
            return performance.now() - started;
          }),
        );
        return { revokeMs: await revoked, gatewayMs };
      },
      close,
    };
    return rig;
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** A redis-server of the bench's own (no persistence), stopped by `close()`. */
export interface PrivateRedis {
  url: string;
  version: string;
  close(): Promise<void>;
}

/**
 * Starts `redis-server` on a free loopback port without persistence, or resolves `null` when no
 * `redis-server` is on the PATH. The machine's shared Redis carries other people's work (Lua
 * scripts of 0.4–0.8 ms each were measured), which would be measured instead of the gateway.
 */
export async function startPrivateRedis(): Promise<PrivateRedis | null> {
  let server: Awaited<ReturnType<typeof startRedisServer>>;
  try {
    server = await startRedisServer({ durable: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const client = createRedis({
    url: server.url,
    keyPrefix: '',
    connectionName: 'keywatch-bench-probe',
    commandTimeoutMs: 1000,
  });
  client.on('error', () => undefined);
  try {
    const info = await client.info('server');
    return {
      url: server.url,
      version: /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown',
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  } finally {
    client.disconnect();
  }
}

async function pollFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: string,
  intervalMs = 10,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

interface Spawned {
  url: string;
  close(): Promise<void>;
}

/** Starts `child.ts <kind>` under tsx and waits (60 s at most) for its `{"url"}` line. */
async function spawnChild(kind: ChildKind, env: NodeJS.ProcessEnv): Promise<Spawned> {
  const child: ChildProcess = spawn(process.execPath, ['--import', tsxLoader, path.join(here, 'child.ts'), kind], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })());
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`bench ${kind} did not start within 60 s`)), 60_000);
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { url: string }).url);
        } catch {
          reject(new Error(`bench ${kind} printed ${line}`));
        }
      });
      void exited.then(() => reject(new Error(`bench ${kind} exited with ${child.exitCode ?? child.signalCode}`)));
    });
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}
