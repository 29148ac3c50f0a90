/**
 * `keywatch bench verify` (issue 18): the auth server's verify API latency at concurrency 1 and 32,
 * on a cache hit and on a cache miss, and requests/s of nginx with `auth_request` against the same
 * nginx proxying to the same demo upstream without it, in the same run.
 *
 * The auth servers are child processes (one with the default cache; one with a cache of one entry
 * that requests cycle 500 keys through, so every lookup goes to Redis). The hit figure's key has
 * no rate limit (a pure cache hit); the miss keys have one never reached (a GCRA call each, in the
 * same Lua call as the lookup). One nginx process (Debian's, installed with apt if missing) listens
 * on two ports: one proxies directly, the other asks the auth server first (the nginx.conf of
 * docs/gateways); autocannon drives both alternately with the same settings, medians reported.
 * @module
 */
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nginxConfig } from '@keywatch/auth-server';
import { freePort, startNginx } from '@keywatch/testkit/support';
import { BENCH_FINGERPRINT_SECRET, startGatewayBenchRig, type BenchKey } from './gateway/rig.js';
import autocannon from 'autocannon';
import { measure, repeat, type Measurement } from './harness.js';
import type { SuiteResult } from './keys.js';
import { figure, type Figure } from './report.js';

export interface VerifyBenchOptions {
  kafkaBrokers: string[];
  redisUrl: string;
  quick?: boolean;
  runs?: number;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const tsxLoader = `file://${path.join(here, '../../node_modules/tsx/dist/loader.mjs')}`;
const MISS_POOL = 500;
const UNREACHED_LIMIT = { limit: 1_000_000_000, window_s: 60 };
const TARGETS = { hitP99Ms: 1, proxyRatio: 0.5 };

interface Child {
  url: string;
  close(): Promise<void>;
}

async function spawnAuthServer(env: NodeJS.ProcessEnv): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, ['--import', tsxLoader, path.join(here, 'verify-child.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('bench auth server did not start within 60 s')), 60_000);
      createInterface({ input: child.stdout! }).once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { url: string }).url);
        } catch {
          reject(new Error(`bench auth server printed ${line}`));
        }
      });
      void exited.then(() => reject(new Error(`bench auth server exited with ${child.exitCode ?? child.signalCode}`)));
    });
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** POST /v1/verify over a keep-alive agent; rejects unless the answer is 200 with the wanted validity. */
function verifier(url: string, concurrency: number): (key: string) => Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/v1/verify', url);
  return (key) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ key, scope: 'subscriptions:read', ip: '203.0.113.7', gateway_id: 'bench-verify' });
      const request = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () =>
            response.statusCode === 200 && text.includes('"valid":true')
              ? resolve()
              : reject(new Error(`verify answered ${response.statusCode}: ${text.slice(0, 200)}`)),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

async function cannon(url: string, key: BenchKey, seconds: number): Promise<autocannon.Result> {
  const options = { url, connections: 32, pipelining: 1, headers: { authorization: `Bearer ${key.secret}` } };
  await autocannon({ ...options, duration: 1 });
  return autocannon({ ...options, duration: seconds });
}

/** Runs the suite on a rig of its own (topics, Redis prefix, key service), always cleaned up. */
export async function benchVerify(options: VerifyBenchOptions): Promise<SuiteResult> {
  const progress = options.progress ?? (() => undefined);
  const sizes = options.quick ? { ops: 300, warmup: 50, seconds: 1 } : { ops: 5_000, warmup: 500, seconds: 8 };
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const rig = await startGatewayBenchRig({ kafkaBrokers: options.kafkaBrokers, redisUrl: options.redisUrl });
  const dir = mkdtempSync(path.join(tmpdir(), 'keywatch-bench-verify-'));
  const closers: Array<() => Promise<void>> = [];
  try {
    const env = {
      ...process.env,
      KAFKA_BROKERS: options.kafkaBrokers.join(','),
      REDIS_URL: options.redisUrl,
      KEYWATCH_TOPIC_PREFIX: rig.topicPrefix,
      KEYWATCH_FINGERPRINT_SECRET: BENCH_FINGERPRINT_SECRET,
      KW_BENCH_REDIS_PREFIX: rig.redisPrefix,
      AUTH_SERVER_PORT: '0',
      // A figure, not the Redis-down policy: on a loaded shared machine a Redis call can exceed
      // the default 250 ms, which would turn a verify into a refusal and stop the suite.
      AUTH_SERVER_REDIS_TIMEOUT: '5s',
      LOG_LEVEL: 'warn',
    };
    progress('verify: starting three auth servers');
    const cached = await spawnAuthServer({ ...env, AUTH_SERVER_ID: 'bench-verify-hit' });
    closers.push(() => cached.close());
    // A second process like the first: nginx in front of both is the recommended deployment.
    const cachedTwin = await spawnAuthServer({ ...env, AUTH_SERVER_ID: 'bench-verify-hit-2' });
    closers.push(() => cachedTwin.close());
    const uncached = await spawnAuthServer({ ...env, AUTH_SERVER_ID: 'bench-verify-miss', AUTH_SERVER_CACHE_MAX: '1' });
    closers.push(() => uncached.close());
    const [hitKey] = await rig.createKeys(1, null);
    const missKeys = await rig.createKeys(MISS_POOL, UNREACHED_LIMIT);

    const latency = async (
      url: string,
      concurrency: number,
      keys: readonly BenchKey[],
      name: string,
    ): Promise<Measurement> => {
      const call = verifier(url, concurrency);
      return measure({
        name,
        concurrency,
        operations: sizes.ops,
        warmup: sizes.warmup,
        op: (i) => call(keys[i % keys.length]!.secret),
        signal: options.signal,
      });
    };
    progress('verify: latency, cache hit and miss, c=1 and c=32');
    const lat = await repeat(runs, async () => ({
      hit1: await latency(cached.url, 1, [hitKey!], 'verify hit c=1'),
      hit32: await latency(cached.url, 32, [hitKey!], 'verify hit c=32'),
      miss1: await latency(uncached.url, 1, missKeys, 'verify miss c=1'),
      miss32: await latency(uncached.url, 32, missKeys, 'verify miss c=32'),
    }));

    progress('verify: nginx alone against nginx with auth_request');
    const upstream = await rig.startUpstream();
    closers.push(() => upstream.close());
    const plainPort = await freePort();
    const nginxOptions = {
      port: await freePort(),
      plainPort,
      authUrl: cached.url,
      upstreamUrl: upstream.url,
      gatewayId: 'bench-nginx',
      dir: path.join(dir, 'nginx'),
    };
    const nginx = await startNginx({ ...nginxOptions, config: nginxConfig(nginxOptions) });
    closers.push(() => nginx.close());
    const twinOptions = {
      port: await freePort(),
      authUrl: [cached.url, cachedTwin.url],
      upstreamUrl: upstream.url,
      gatewayId: 'bench-nginx-2',
      dir: path.join(dir, 'nginx-2'),
    };
    const nginxTwin = await startNginx({ ...twinOptions, config: nginxConfig(twinOptions) });
    closers.push(() => nginxTwin.close());
    const alone: number[] = [];
    const withAuth: number[] = [];
    const withTwoAuth: number[] = [];
    const authed = async (url: string, into: number[]) => {
      const result = await cannon(`${url}/v1/subscriptions`, hitKey!, sizes.seconds);
      if (result.non2xx > 0) throw new Error(`nginx with auth_request answered ${result.non2xx} non-2xx`);
      into.push(result.requests.average);
    };
    for (let run = 0; run < runs; run += 1) {
      alone.push(
        (await cannon(`http://127.0.0.1:${plainPort}/v1/subscriptions`, hitKey!, sizes.seconds)).requests.average,
      );
      await authed(nginx.url, withAuth);
      await authed(nginxTwin.url, withTwoAuth);
    }
    const med = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const nginxAlone = med(alone);
    const nginxAuth = med(withAuth);
    const nginxTwoAuth = med(withTwoAuth);

    const figures: Figure[] = [
      figure('verify p50, cache hit, c=1', lat.hit1.p50, 'ms'),
      figure('verify p99, cache hit, c=1', lat.hit1.p99, 'ms', { target: { below: TARGETS.hitP99Ms } }),
      figure('verify p50, cache hit, c=32', lat.hit32.p50, 'ms'),
      figure('verify p99, cache hit, c=32', lat.hit32.p99, 'ms'),
      figure('verify p50, cache miss, c=1', lat.miss1.p50, 'ms'),
      figure('verify p99, cache miss, c=1', lat.miss1.p99, 'ms'),
      figure('verify p50, cache miss, c=32', lat.miss32.p50, 'ms'),
      figure('verify p99, cache miss, c=32', lat.miss32.p99, 'ms'),
      figure('verify req/s, cache hit, c=32', lat.hit32.opsPerSec, 'req/s'),
      figure('nginx with auth_request', nginxAuth, 'req/s', { baseline: { name: 'nginx alone', value: nginxAlone } }),
      figure('nginx with auth_request / nginx alone', nginxAuth / nginxAlone, 'ratio', {
        target: { atLeast: TARGETS.proxyRatio },
      }),
      figure('nginx with auth_request, 2 auth server processes', nginxTwoAuth, 'req/s', {
        baseline: { name: 'nginx alone', value: nginxAlone },
      }),
      figure('nginx with auth_request (2 processes) / nginx alone', nginxTwoAuth / nginxAlone, 'ratio', {
        target: { atLeast: TARGETS.proxyRatio },
      }),
    ];
    return {
      figures,
      notes: {
        verify: {
          nginxAlone: alone,
          nginxWithAuth: withAuth,
          nginxWithTwoAuthProcesses: withTwoAuth,
          latency: Object.fromEntries(
            Object.entries(lat).map(([k, s]) => [k, s.runs.map(({ ops, p50, p99, max }) => ({ ops, p50, p99, max }))]),
          ),
        },
      },
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await rig.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
