/**
 * `keywatch bench gateway` (issue 4): the gateway SDK's verification latency in-process (cache hits
 * and misses, the miss path before and after it became one Redis call, and its Redis calls alone),
 * the same through HTTP, requests/s through the reference gateway next to the demo upstream alone,
 * and revocation propagation to two gateway instances. Baselines come from the same run: a raw
 * Redis GET on the verifier's own connection, the upstream called directly, the revoke call itself.
 *
 * Redis: a private `redis-server` (no persistence) when one is on the PATH, else `REDIS_URL`. The
 * shared Redis of a busy machine runs other people's Lua scripts (0.4–0.8 ms each, measured), so
 * its GET p99 is printed for context but the figures do not carry it.
 *
 * Fairness of the throughput comparison: the demo upstream alone and the reference gateway serving
 * the same demo routes behind the SDK (its default, `keywatch run gateway` without an upstream) are
 * one Node process each; autocannon runs in this process with the same settings against both
 * (connections {@link HTTP_CONNECTIONS}, pipelining 1: API clients do not pipeline, and a pipelined
 * load would flatter whichever side does less per request), the same request (`GET
 * /v1/subscriptions` with the key header, which the upstream ignores), runs interleaved (upstream,
 * gateway, …) so both see the same machine load, medians reported. The gateway runs as in
 * production: every request verified (a cache hit), rate-limited in Redis (a GCRA call) and
 * reported (one auth event to Kafka). All those requests carry one key, so the rate limiter
 * coalesces their GCRA calls (the calls made while one is in Redis go together in the next): the
 * same gateway with requests spread over {@link MISS_POOL} cached keys shows the cost when they
 * rarely coalesce. Shown beside it: the gateway building events but not
 * sending them (what emission costs) and the gateway as a reverse proxy to the upstream process
 * (one more HTTP hop and process).
 *
 * The floors: the same upstream plus, per request, one Redis round trip, one auth-events message,
 * or both (`startFloor` in bench/src/gateway/child.ts: nothing else, not even an event
 * built per request). An event per request is a Kafka message per request in any design, so the
 * Kafka floor's overhead bounds what any implementation can reach against this upstream on this
 * machine; a limit exact across instances adds a Redis call per request unless concurrent
 * requests' checks are batched. gateway/floor says how much of the gap is the SDK's own.
 * @module
 */
import http from 'node:http';
import { createRedis } from '@keywatch/redis';
import autocannon from 'autocannon';
import {
  startGatewayBenchRig,
  startPrivateRedis,
  type BenchChild,
  type BenchKey,
  type GatewayBenchRig,
} from './gateway/rig.js';
import { measure, median, percentile, repeat, type Measurement, type Summary } from './harness.js';
import type { SuiteResult } from './keys.js';
import { figure, type Figure } from './report.js';

/** Options of {@link benchGateway}. */
export interface GatewayBenchOptions {
  kafkaBrokers: string[];
  redisUrl: string;
  quick?: boolean;
  /** Runs per figure (medians reported). Default 3, or 1 with `quick`. */
  runs?: number;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

interface Sizes {
  /** In-process operations per latency measurement (c=1). */
  inProcess: number;
  /** HTTP requests per latency measurement (c=1). */
  httpLatency: number;
  /** Seconds of each autocannon throughput run. */
  throughputSeconds: number;
  /** Revocations measured. */
  revocations: number;
  warmup: number;
}

const FULL: Sizes = { inProcess: 20_000, httpLatency: 3_000, throughputSeconds: 10, revocations: 30, warmup: 1_000 };
const QUICK: Sizes = { inProcess: 500, httpLatency: 200, throughputSeconds: 1, revocations: 3, warmup: 50 };
/** autocannon connections: enough to saturate one Node process on this machine, few enough not to measure queueing. */
const HTTP_CONNECTIONS = 32;
const MISS_POOL = 500;
/** A limit no benchmark reaches: every request pays the GCRA call, none is refused. */
const UNREACHED_LIMIT = { limit: 1_000_000_000, window_s: 60 };
const TARGETS = { hitP99Ms: 0.1, missP99Ms: 2, overheadPct: 20, propagationP99Ms: 1000 };
const REQUEST = { ip: '203.0.113.7', origin: null, scope: 'subscriptions:read' as const };

/** Runs the suite on a rig of its own (topics, Redis prefix, key service, child processes), always cleaned up. */
export async function benchGateway(options: GatewayBenchOptions): Promise<SuiteResult> {
  const progress = options.progress ?? (() => undefined);
  const sizes = options.quick ? QUICK : FULL;
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const shared = await sharedRedisLatency(options.redisUrl, sizes);
  const privateRedis = await startPrivateRedis();
  const redisUrl = privateRedis?.url ?? options.redisUrl;
  const redisUsed = privateRedis
    ? `private redis-server ${privateRedis.version} on ${privateRedis.url}, no persistence`
    : `the shared Redis at ${options.redisUrl} (no redis-server on the PATH)`;
  progress(`gateway: keystore and rate limits on ${redisUsed}`);
  try {
    const rig = await startGatewayBenchRig({ kafkaBrokers: options.kafkaBrokers, redisUrl });
    let result: SuiteResult;
    try {
      result = await run(rig, { sizes, runs, progress, signal: options.signal });
    } catch (error) {
      await rig
        .close()
        .catch((cleanupError: unknown) =>
          progress(cleanupError instanceof Error ? cleanupError.message : String(cleanupError)),
        );
      throw error;
    }
    await rig.close();
    progress(`gateway: deleted ${rig.redisPrefix}* and topics ${rig.topicPrefix}*`);
    return {
      figures: [
        figure('shared Redis GET p50, c=1 (not used: context)', shared.p50, 'ms'),
        figure('shared Redis GET p99, c=1 (not used: context)', shared.p99, 'ms'),
        ...result.figures,
      ],
      notes: {
        ...result.notes,
        gateway_redis: { used: redisUsed, shared_get: { p50: shared.p50, p99: shared.p99, ops: shared.ops } },
      },
    };
  } finally {
    await privateRedis?.close();
  }
}

/** GET latency of the configured (shared) Redis at c=1: what the figures would carry on it. */
async function sharedRedisLatency(url: string, sizes: Sizes): Promise<Measurement> {
  const redis = createRedis({ url, keyPrefix: '', connectionName: 'keywatch-bench-gateway-probe' });
  redis.on('error', () => undefined);
  try {
    return await measure({
      name: 'shared redis GET',
      concurrency: 1,
      operations: sizes.inProcess,
      warmup: sizes.warmup,
      op: () => redis.get('keywatch-bench-gateway-absent'),
    });
  } finally {
    redis.disconnect();
  }
}

async function run(
  rig: GatewayBenchRig,
  {
    sizes,
    runs,
    progress,
    signal,
  }: { sizes: Sizes; runs: number; progress: (line: string) => void; signal: AbortSignal | undefined },
): Promise<SuiteResult> {
  progress('gateway: creating keys, starting the upstream and four gateways');
  const [hitUnlimited] = await rig.createKeys(1, null);
  const [hitLimited] = await rig.createKeys(1, UNREACHED_LIMIT);
  const missLimited = await rig.createKeys(MISS_POOL, UNREACHED_LIMIT);
  const missUnlimited = await rig.createKeys(MISS_POOL, null);
  const upstream = await rig.startUpstream();
  // The floor of any gateway's overhead on this machine (see startFloor in gateway/child.ts).
  const [floorRedis, floorKafka, floor] = await Promise.all([
    rig.startFloor({ redis: true, kafka: false }),
    rig.startFloor({ redis: false, kafka: true }),
    rig.startFloor({ redis: true, kafka: true }),
  ]);
  const [gateway, proxy, discarding, gatewayMiss] = await Promise.all([
    // The reference gateway as `keywatch run gateway` starts it: the demo routes behind the SDK.
    rig.startGateway(null),
    // The same as a reverse proxy in front of the upstream process (one more HTTP hop).
    rig.startGateway(upstream.url),
    // Everything but handing auth events to Kafka: what emission costs.
    rig.startGateway(null, { KW_BENCH_DISCARD_EVENTS: 'true' }),
    // One cache entry and requests rotating over many keys: every request is a miss.
    rig.startGateway(null, { GATEWAY_CACHE_MAX: '1' }),
  ]);

  const verifier = rig.verifier();
  // The miss path before issue 4's change: lookup, then the rate limit (two round trips).
  const separate = rig.verifier({ lookupAndLimit: undefined });
  await rig.redis.set('baseline', 'x'.repeat(32));
  const verify = async (v: typeof verifier, key: BenchKey) => {
    const result = await v.verify({ credential: key.secret, ...REQUEST });
    if (result.outcome !== 'allowed') throw new Error(`expected allowed, got ${result.outcome}`);
  };
  const miss = (v: typeof verifier, pool: BenchKey[]) => async (i: number) => {
    v.cache.clear();
    await verify(v, pool[i % pool.length]!);
  };
  const inProcess = await repeat(runs, async (r) => {
    const step = (name: string, op: (i: number) => Promise<unknown>): Promise<Measurement> => {
      progress(
        `gateway run ${r + 1}/${runs}: in-process ${name}, ${sizes.inProcess.toLocaleString('en-US')} ops at concurrency 1`,
      );
      return measure({ name, concurrency: 1, operations: sizes.inProcess, warmup: sizes.warmup, op, signal });
    };
    return {
      get: await step('redis GET', () => rig.redis.get('baseline')),
      lookup: await step('keystore lookup by hash', (i) =>
        rig.store.getByHash(missLimited[i % missLimited.length]!.hash),
      ),
      limit: await step('GCRA rate limit', (i) =>
        rig.limiter.limit(`key:${missLimited[i % missLimited.length]!.id}`, UNREACHED_LIMIT),
      ),
      hitUnlimited: await step('hit, no rate limit', () => verify(verifier, hitUnlimited!)),
      hitLimited: await step('hit, rate limit', () => verify(verifier, hitLimited!)),
      missUnlimited: await step('miss, no rate limit', miss(verifier, missUnlimited)),
      missSeparate: await step('miss, rate limit, separate calls', miss(separate, missLimited)),
      missLimited: await step('miss, rate limit', miss(verifier, missLimited)),
    };
  });

  const httpLatency = await repeat(runs, async (r) => {
    const step = (name: string, url: string, keys: BenchKey[]): Promise<Measurement> => {
      progress(
        `gateway run ${r + 1}/${runs}: HTTP ${name}, ${sizes.httpLatency.toLocaleString('en-US')} requests at concurrency 1`,
      );
      return httpMeasure(name, url, keys, sizes, signal);
    };
    return {
      upstream: await step('upstream alone', upstream.url, [hitLimited!]),
      hit: await step('gateway, cache hit', gateway.url, [hitLimited!]),
      miss: await step('gateway, cache miss', gatewayMiss.url, missLimited),
    };
  });

  const throughput: Record<
    'upstream' | 'floorRedis' | 'floorKafka' | 'floor' | 'gateway' | 'manyKeys' | 'discarding' | 'proxy',
    number[]
  > = { upstream: [], floorRedis: [], floorKafka: [], floor: [], gateway: [], manyKeys: [], discarding: [], proxy: [] };
  // Non-2xx answers are reported, not fatal: on a loaded machine a Redis call can exceed the
  // gateway's 250 ms timeout and be refused (fail closed); the JSON keeps the status counts.
  const failures: Array<{
    target: string;
    run: number;
    non2xx: number;
    errors: number;
    statuses: Record<string, number>;
  }> = [];
  for (let r = 0; r < runs; r += 1) {
    for (const [name, target] of [
      ['upstream', upstream],
      ['floorRedis', floorRedis],
      ['floorKafka', floorKafka],
      ['floor', floor],
      ['gateway', gateway],
      ['manyKeys', gateway],
      ['discarding', discarding],
      ['proxy', proxy],
    ] as const) {
      signal?.throwIfAborted();
      progress(
        `gateway run ${r + 1}/${runs}: autocannon ${name}, ${sizes.throughputSeconds} s at ${HTTP_CONNECTIONS} connections`,
      );
      const result = await cannon(target, name === 'manyKeys' ? missLimited : [hitLimited!], sizes.throughputSeconds);
      if (result.non2xx > 0 || result.errors > 0) {
        const statuses = Object.fromEntries(
          Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]),
        );
        failures.push({ target: name, run: r + 1, non2xx: result.non2xx, errors: result.errors, statuses });
        progress(
          `gateway: ${name} answered ${result.non2xx} non-2xx (${JSON.stringify(statuses)}), ${result.errors} connection errors`,
        );
      }
      // Successful answers only: a fast refusal must not count as throughput.
      throughput[name].push((result.requests.total - result.non2xx - result.errors) / result.duration);
    }
  }

  progress(`gateway: ${sizes.revocations} revocations through the key service, two gateways polled every 2 ms`);
  const samples = [];
  for (let i = 0; i < sizes.revocations; i += 1) {
    signal?.throwIfAborted();
    samples.push(await rig.propagation([gateway, proxy]));
  }
  const both = Float64Array.from(samples.map((s) => Math.max(...s.gatewayMs))).sort();
  const revoke = Float64Array.from(samples.map((s) => s.revokeMs)).sort();

  const upstreamRps = median(throughput.upstream);
  const gatewayRps = median(throughput.gateway);
  const manyKeysRps = median(throughput.manyKeys);
  const discardingRps = median(throughput.discarding);
  const proxyRps = median(throughput.proxy);
  const upstreamBaseline = { name: 'upstream alone', value: upstreamRps };
  // Ratios within each run (the machine's speed drifts between runs), then their median.
  const overheadPct = (of: readonly number[], against: readonly number[]) =>
    median(of.map((rps, i) => (1 - rps / (against[i] ?? Number.NaN)) * 100));
  const floorRps = median(throughput.floor);
  const figures = [
    ...inProcessFigures(inProcess),
    ...httpFigures(httpLatency),
    figure('HTTP upstream alone (baseline)', upstreamRps, 'req/s'),
    figure('HTTP reference gateway (demo routes behind the SDK)', gatewayRps, 'req/s', { baseline: upstreamBaseline }),
    figure('gateway overhead (1 − gateway/upstream)', (1 - gatewayRps / upstreamRps) * 100, '%', {
      target: { below: TARGETS.overheadPct },
    }),
    figure('gateway overhead, median of per-run ratios', overheadPct(throughput.gateway, throughput.upstream), '%'),
    figure('HTTP floor: upstream + one Redis GET per request', median(throughput.floorRedis), 'req/s', {
      baseline: upstreamBaseline,
    }),
    figure(
      'floor overhead: one Redis round trip per request',
      overheadPct(throughput.floorRedis, throughput.upstream),
      '%',
    ),
    figure('HTTP floor: upstream + one Kafka message per request', median(throughput.floorKafka), 'req/s', {
      baseline: upstreamBaseline,
    }),
    figure(
      'floor overhead: one auth event per request, the least any gateway of the contract adds',
      overheadPct(throughput.floorKafka, throughput.upstream),
      '%',
    ),
    figure('HTTP floor: upstream + one Redis GET + one Kafka message per request', floorRps, 'req/s', {
      baseline: upstreamBaseline,
    }),
    figure(
      'floor overhead: one Redis round trip and one event per request',
      overheadPct(throughput.floor, throughput.upstream),
      '%',
    ),
    figure('reference gateway against the floor (gateway/floor)', gatewayRps, 'req/s', {
      baseline: { name: 'floor', value: floorRps },
    }),
    figure(`HTTP gateway, requests spread over ${MISS_POOL} keys (cached)`, manyKeysRps, 'req/s', {
      baseline: upstreamBaseline,
    }),
    figure(
      `overhead with ${MISS_POOL} keys (rate-limit calls rarely coalesce)`,
      (1 - manyKeysRps / upstreamRps) * 100,
      '%',
    ),
    figure('HTTP gateway, auth events built but not sent', discardingRps, 'req/s', { baseline: upstreamBaseline }),
    figure('overhead without sending auth events', (1 - discardingRps / upstreamRps) * 100, '%'),
    figure('HTTP gateway as reverse proxy to the upstream', proxyRps, 'req/s', { baseline: upstreamBaseline }),
    // Issue 22: proxying (one more HTTP hop, on the same cores) vs the same gateway serving the demo routes itself.
    figure(
      'reverse proxy vs the same gateway on its demo routes (median of per-run ratios)',
      median(throughput.proxy.map((rps, i) => rps / (throughput.gateway[i] ?? Number.NaN))),
      '×',
      { target: { atLeast: 0.8 } },
    ),
    figure(
      'non-2xx answers in the throughput runs',
      failures.reduce((sum, f) => sum + f.non2xx + f.errors, 0),
      'answers',
    ),
    figure('revocation propagation p50, both gateways', percentile(both, 50), 'ms', {
      baseline: { name: 'revoke call p50', value: percentile(revoke, 50) },
    }),
    figure('revocation propagation p99, both gateways', percentile(both, 99), 'ms', {
      baseline: { name: 'revoke call p99', value: percentile(revoke, 99) },
      target: { below: TARGETS.propagationP99Ms },
    }),
  ];
  return {
    figures,
    notes: {
      gateway: {
        prefix: rig.redisPrefix,
        sizes,
        http: {
          connections: HTTP_CONNECTIONS,
          pipelining: 1,
          request:
            'GET /v1/subscriptions with a rate-limited key (cache hit), auth events to Kafka; manyKeys: the same over the miss pool keys, each request the next key; floorRedis / floorKafka / floor: the demo upstream plus one Redis GET, one Kafka message, or both, per request',
          throughput_runs: throughput,
          failures,
        },
        miss_pool: MISS_POOL,
        propagation_ms: samples,
        in_process_runs: perRun(inProcess),
        http_latency_runs: perRun(httpLatency),
      },
    },
  };
}

function inProcessFigures(
  r: Record<
    'get' | 'lookup' | 'limit' | 'hitUnlimited' | 'hitLimited' | 'missUnlimited' | 'missSeparate' | 'missLimited',
    Summary
  >,
): Figure[] {
  const get50 = { name: 'GET p50', value: r.get.p50 };
  const get99 = { name: 'GET p99', value: r.get.p99 };
  return [
    figure('redis GET p50, c=1 (baseline)', r.get.p50, 'ms'),
    figure('redis GET p99, c=1 (baseline)', r.get.p99, 'ms'),
    figure('SDK hit p50, no rate limit (no Redis)', r.hitUnlimited.p50, 'ms'),
    figure('SDK hit p99, no rate limit (no Redis)', r.hitUnlimited.p99, 'ms', { target: { below: TARGETS.hitP99Ms } }),
    figure('SDK hit p50, rate limit (1 GCRA call)', r.hitLimited.p50, 'ms', { baseline: get50 }),
    figure('SDK hit p99, rate limit (1 GCRA call)', r.hitLimited.p99, 'ms', { baseline: get99 }),
    figure('miss part: keystore lookup p99', r.lookup.p99, 'ms', { baseline: get99 }),
    figure('miss part: GCRA call p99', r.limit.p99, 'ms', { baseline: get99 }),
    figure('SDK miss p50, no rate limit', r.missUnlimited.p50, 'ms', { baseline: get50 }),
    figure('SDK miss p99, no rate limit', r.missUnlimited.p99, 'ms', {
      baseline: get99,
      target: { below: TARGETS.missP99Ms },
    }),
    figure('SDK miss p50, rate limit, before (2 calls)', r.missSeparate.p50, 'ms', { baseline: get50 }),
    figure('SDK miss p99, rate limit, before (2 calls)', r.missSeparate.p99, 'ms', { baseline: get99 }),
    figure('SDK miss p50, rate limit', r.missLimited.p50, 'ms', { baseline: get50 }),
    figure('SDK miss p99, rate limit', r.missLimited.p99, 'ms', {
      baseline: get99,
      target: { below: TARGETS.missP99Ms },
    }),
  ];
}

function httpFigures(r: Record<'upstream' | 'hit' | 'miss', Summary>): Figure[] {
  const up50 = { name: 'upstream p50', value: r.upstream.p50 };
  const up99 = { name: 'upstream p99', value: r.upstream.p99 };
  return [
    figure('HTTP upstream alone p50, c=1 (baseline)', r.upstream.p50, 'ms'),
    figure('HTTP upstream alone p99, c=1 (baseline)', r.upstream.p99, 'ms'),
    figure('HTTP gateway hit p50, c=1', r.hit.p50, 'ms', { baseline: up50 }),
    figure('HTTP gateway hit p99, c=1', r.hit.p99, 'ms', { baseline: up99 }),
    figure('HTTP gateway miss p50, c=1', r.miss.p50, 'ms', { baseline: up50 }),
    figure('HTTP gateway miss p99, c=1', r.miss.p99, 'ms', { baseline: up99 }),
  ];
}

/** Sequential keep-alive requests (c=1) timed by the harness; keys rotate (one key: always a hit). */
async function httpMeasure(
  name: string,
  url: string,
  keys: BenchKey[],
  sizes: Sizes,
  signal: AbortSignal | undefined,
): Promise<Measurement> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL('/v1/subscriptions', url);
  const get = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const request = http.get(
        target,
        { agent, headers: { authorization: `Bearer ${keys[i % keys.length]!.secret}` } },
        (response) => {
          response.resume();
          response.once('end', () =>
            response.statusCode === 200 ? resolve() : reject(new Error(`${name}: status ${response.statusCode}`)),
          );
        },
      );
      request.once('error', reject);
    });
  try {
    return await measure({
      name,
      concurrency: 1,
      operations: sizes.httpLatency,
      warmup: Math.min(sizes.warmup, 200),
      op: get,
      signal,
    });
  } finally {
    agent.destroy();
  }
}

/**
 * autocannon against `target` for `seconds`; with several keys each request takes the next one
 * (one counter for all connections, so concurrent requests carry different keys).
 */
async function cannon(target: BenchChild, keys: readonly BenchKey[], seconds: number): Promise<autocannon.Result> {
  let next = 0;
  const headers = (i: number) => ({ authorization: `Bearer ${keys[i % keys.length]!.secret}` });
  const options = {
    url: new URL('/v1/subscriptions', target.url).href,
    connections: HTTP_CONNECTIONS,
    pipelining: 1,
    headers: headers(0),
    ...(keys.length > 1
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                headers: { ...request.headers, ...headers((next += 1)) },
              }),
            },
          ],
        }
      : {}),
  };
  // A short warm-up (JIT, connection pools) that is not counted.
  await autocannon({ ...options, duration: 1 });
  return autocannon({ ...options, duration: seconds });
}

function perRun(
  results: Record<string, Summary>,
): Record<string, Array<Pick<Measurement, 'ops' | 'p50' | 'p99' | 'max'>>> {
  return Object.fromEntries(
    Object.entries(results).map(([name, s]) => [
      name,
      s.runs.map(({ ops, p50, p99, max }) => ({ ops, p50, p99, max })),
    ]),
  );
}
