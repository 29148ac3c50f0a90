/**
 * `keywatch bench keys`: the keystore against the Redis it runs on. Key creation (generate, hash,
 * one Lua script) and lookup by hash (one Lua script, decode and validate), each compared with a
 * raw GET of a small string on the same connection at the same concurrency, measured in the same
 * run: the ratio is what the keystore costs over Redis's cheapest round trip from Node.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { generateKey, hashKey, keyDisplay, newKeyId } from '@keywatch/contracts';
import { createKeyStore, type NewKey } from '@keywatch/keystore';
import { createRedis, deleteKeysWithPrefix, type Redis } from '@keywatch/redis';
import { measure, repeat, type Measurement, type Summary } from './harness.js';
import { figure, type Figure } from './report.js';

/** Options of {@link benchKeys}. */
export interface KeysBenchOptions {
  redisUrl: string;
  /** Small counts and one run: checks every path works, not its speed. Default false. */
  quick?: boolean;
  /** Runs per figure (medians reported). Default 3, or 1 with `quick`. */
  runs?: number;
  /** Progress lines (what is being measured now). Default: none. */
  progress?: (line: string) => void;
  /** Stops between operations; the bench's Redis keys are still deleted. */
  signal?: AbortSignal;
}

/** What a suite returns: its figures and facts for the JSON's `meta.notes`. */
export interface SuiteResult {
  figures: Figure[];
  notes: Record<string, unknown>;
}

/** Operation counts of one run. */
interface Sizes {
  create: number;
  lookup: number;
  latency: number;
  warmup: number;
}

const FULL: Sizes = { create: 20_000, lookup: 100_000, latency: 20_000, warmup: 1_000 };
const QUICK: Sizes = { create: 500, lookup: 2_000, latency: 500, warmup: 50 };
const CONCURRENCY = 50;
const TENANTS = 100;
/** issue 4: a gateway cache miss is one lookup by hash, and its p99 must stay below 2 ms. */
const MISS_P99_MS = 2;

/**
 * Measures key creation and lookup by hash through `@keywatch/keystore`, with raw GET baselines,
 * on a key prefix of its own (`kwbench:<random>:`) that is deleted at the end, on failure too.
 */
export async function benchKeys(options: KeysBenchOptions): Promise<SuiteResult> {
  const sizes = options.quick ? QUICK : FULL;
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const progress = options.progress ?? (() => undefined);
  const signal = options.signal;
  const prefix = `kwbench:${randomBytes(6).toString('hex')}:`;
  const redis = createRedis({ url: options.redisUrl, keyPrefix: prefix, connectionName: 'keywatch-bench' });
  // Unheard, ioredis prints every reconnect failure with its stack; the failing command reports it once.
  let connectionError: Error | undefined;
  redis.on('error', (error: Error) => (connectionError = error));
  let connected = false as boolean; // set by the ready handler
  redis.once('ready', () => (connected = true));
  const cleanup = async () => {
    try {
      const deleted = await deleteKeysWithPrefix(options.redisUrl, prefix);
      progress(`keys: deleted ${deleted.toLocaleString('en-US')} Redis keys under ${prefix}`);
    } catch (error) {
      throw new Error(
        `keys: could not delete the Redis keys under ${prefix} (delete them with redis-cli --scan --pattern '${prefix}*'): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
  let result: SuiteResult;
  try {
    result = await measureKeys(redis, { prefix, sizes, runs, progress, signal });
  } catch (error) {
    // Never connected: nothing written, nothing to delete. Otherwise the measurement's own failure
    // says more than a cleanup failure after it, which is only shown.
    if (connected)
      await cleanup().catch((cleanupError: unknown) =>
        progress(cleanupError instanceof Error ? cleanupError.message : String(cleanupError)),
      );
    if (connectionError === undefined || !(error instanceof Error)) throw error;
    throw new Error(`${error.message} (Redis connection: ${connectionError.message})`, { cause: error });
  } finally {
    redis.disconnect();
  }
  await cleanup();
  return result;
}

/** The measurements of {@link benchKeys}, on a connection whose key prefix is the bench's own. */
async function measureKeys(
  redis: Redis,
  {
    prefix,
    sizes,
    runs,
    progress,
    signal,
  }: { prefix: string; sizes: Sizes; runs: number; progress: (line: string) => void; signal: AbortSignal | undefined },
): Promise<SuiteResult> {
  const store = createKeyStore({ redis });
  const server = await redisFacts(redis);
  await redis.set('baseline', 'x'.repeat(32));
  const hashes: string[] = [];
  const get = () => redis.get('baseline');
  const create = async () => {
    const secret = generateKey({ type: 'secret', environment: 'live' });
    const key: NewKey = {
      id: newKeyId(),
      hash: hashKey(secret),
      tenant_id: `tenant_bench_${hashes.length % TENANTS}`,
      environment: 'live',
      type: 'secret',
      name: 'bench key',
      scopes: ['subscriptions:read', 'payments:write'],
      ...keyDisplay(secret),
      expires_at: null,
      allowed_ips: [],
      allowed_origins: [],
      rate_limit: { limit: 100, window_s: 60 },
    };
    await store.create(key, 'bench');
    hashes.push(key.hash);
  };
  const lookup = async () => {
    const hash = hashes[Math.floor(Math.random() * hashes.length)] ?? '';
    if ((await store.getByHash(hash)) === null) throw new Error('a created key was not found by its hash');
  };

  const results = await repeat(runs, async (run) => {
    const step = async (
      name: string,
      concurrency: number,
      operations: number,
      op: () => Promise<unknown>,
    ): Promise<Measurement> => {
      progress(
        `keys run ${run + 1}/${runs}: ${name}, ${operations.toLocaleString('en-US')} ops at concurrency ${concurrency}`,
      );
      return measure({ name, concurrency, operations, warmup: sizes.warmup, op, signal });
    };
    // Each baseline runs right before what it is compared with, so both see the same machine.
    return {
      getC50: await step('redis GET', CONCURRENCY, sizes.lookup, get),
      create: await step('keystore create', CONCURRENCY, sizes.create, create),
      lookupC50: await step('keystore getByHash', CONCURRENCY, sizes.lookup, lookup),
      getC1: await step('redis GET', 1, sizes.latency, get),
      lookupC1: await step('keystore getByHash', 1, sizes.latency, lookup),
    };
  });
  return {
    figures: keyFigures(results),
    notes: {
      keys: {
        redis: server,
        prefix,
        concurrency: CONCURRENCY,
        tenants: TENANTS,
        sizes,
        keys_created: hashes.length,
        runs: perRun(results),
      },
    },
  };
}

function keyFigures(r: Record<'getC50' | 'create' | 'lookupC50' | 'getC1' | 'lookupC1', Summary>): Figure[] {
  const getC50 = { name: 'GET c=50', value: r.getC50.opsPerSec };
  const getC50p99 = { name: 'GET c=50 p99', value: r.getC50.p99 };
  const getC1p50 = { name: 'GET c=1 p50', value: r.getC1.p50 };
  const getC1p99 = { name: 'GET c=1 p99', value: r.getC1.p99 };
  return [
    figure('redis GET, c=50 (baseline)', r.getC50.opsPerSec, 'ops/s'),
    figure('redis GET p99, c=50 (baseline)', r.getC50.p99, 'ms'),
    figure('redis GET p50, c=1 (baseline)', r.getC1.p50, 'ms'),
    figure('redis GET p99, c=1 (baseline)', r.getC1.p99, 'ms'),
    figure('key create, c=50', r.create.opsPerSec, 'ops/s', { baseline: getC50 }),
    figure('key create p99, c=50', r.create.p99, 'ms', { baseline: getC50p99 }),
    figure('lookup by hash, c=50', r.lookupC50.opsPerSec, 'ops/s', { baseline: getC50 }),
    figure('lookup by hash p99, c=50', r.lookupC50.p99, 'ms', { baseline: getC50p99 }),
    figure('lookup by hash p50, c=1', r.lookupC1.p50, 'ms', { baseline: getC1p50 }),
    figure('lookup by hash p99, c=1', r.lookupC1.p99, 'ms', { baseline: getC1p99, target: { below: MISS_P99_MS } }),
  ];
}

/** Every run's throughput and p99, so the JSON shows the spread behind each median. */
function perRun(
  results: Record<string, Summary>,
): Record<string, Array<Pick<Measurement, 'ops' | 'seconds' | 'opsPerSec' | 'p50' | 'p99' | 'max'>>> {
  return Object.fromEntries(
    Object.entries(results).map(([name, summary]) => [
      name,
      summary.runs.map(({ ops, seconds, opsPerSec, p50, p99, max }) => ({ ops, seconds, opsPerSec, p50, p99, max })),
    ]),
  );
}

/** The server's version and the settings that change write costs (AOF). */
async function redisFacts(redis: Redis): Promise<Record<string, string | null>> {
  const info = await redis.info('server');
  const version = /^redis_version:(.+)$/m.exec(info)?.[1]?.trim() ?? null;
  const setting = async (name: string) => {
    try {
      const reply = await redis.config('GET', name);
      return Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null;
    } catch {
      // CONFIG is often disabled on managed Redis; the figures stand without it.
      return null;
    }
  };
  return { version, appendonly: await setting('appendonly'), appendfsync: await setting('appendfsync') };
}
