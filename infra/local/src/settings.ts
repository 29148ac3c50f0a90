import { homedir } from 'node:os';
import path from 'node:path';

/** Where and how the local stack runs. Every field has a documented default (README, "Local stack"). */
export interface StackSettings {
  /** Repository root; config templates are read from `infra/local/` beneath it. */
  repoRoot: string;
  /** Data, logs and pid files. `KEYWATCH_STACK_DIR`, default `<repo>/.keywatch/stack`. */
  stackDir: string;
  /** Downloads shared by every clone (Kafka jars). `KEYWATCH_CACHE`, default `~/.cache/keywatch`. */
  cacheDir: string;
  kafka: { host: string; port: number; controllerPort: number; heapMb: number };
  /** `engine`: `legacy` (Debian's 18.16 server) or `modern` (ClickHouse 26.x from chDB), see {@link resolveStackSettings}. */
  clickhouse: { engine: ClickHouseEngine; url: string; host: string; httpPort: number; tcpPort: number };
  redis: { url: string; host: string; port: number };
}

/** Which ClickHouse the stack runs: Debian's 18.16 server, or a current release (chDB's 26.x). */
export type ClickHouseEngine = 'legacy' | 'modern';

export const CLICKHOUSE_ENGINES: readonly ClickHouseEngine[] = ['legacy', 'modern'];

/** Each engine's own ports, so both can run side by side. */
const CLICKHOUSE_DEFAULTS: Record<ClickHouseEngine, { url: string; tcpPort: number }> = {
  legacy: { url: 'http://127.0.0.1:8123', tcpPort: 9000 },
  modern: { url: 'http://127.0.0.1:18123', tcpPort: 19000 },
};

/** Parses a ClickHouse engine name (the `--clickhouse` flag, `KEYWATCH_CLICKHOUSE_ENGINE`). */
export function parseClickHouseEngine(raw: string, name = 'KEYWATCH_CLICKHOUSE_ENGINE'): ClickHouseEngine {
  if (raw === 'legacy' || raw === 'modern') return raw;
  throw new Error(`${name} must be legacy or modern, got "${raw}"`);
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) {
    throw new Error(`${name} must be an integer between 1 and 65535, got "${raw}"`);
  }
  return value;
}

function hostPort(spec: string, name: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(spec.trim());
  if (!match?.[1] || !match[2]) throw new Error(`${name} must be host:port, got "${spec}"`);
  return { host: match[1], port: Number(match[2]) };
}

function parseUrl(raw: string, name: string, defaultPort: number): { host: string; port: number } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${name} is not a URL: "${raw}"`);
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : defaultPort };
}

/**
 * Resolves the stack's settings from the environment the CLI passes in (packages never read it).
 * The ClickHouse engine is `options.clickhouse` (the `--clickhouse` flag), else
 * `KEYWATCH_CLICKHOUSE_ENGINE`, else `legacy`. `CLICKHOUSE_URL` and `KEYWATCH_CLICKHOUSE_TCP_PORT`
 * belong to the engine the environment names (`legacy` when it names none), so a flag choosing the
 * other engine uses that engine's own default ports.
 */
export function resolveStackSettings(
  env: Env,
  repoRoot: string,
  options: { clickhouse?: ClickHouseEngine } = {},
): StackSettings {
  const firstBroker = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0] ?? '';
  const kafka = hostPort(firstBroker, 'KAFKA_BROKERS');
  const envEngine = env.KEYWATCH_CLICKHOUSE_ENGINE ? parseClickHouseEngine(env.KEYWATCH_CLICKHOUSE_ENGINE) : 'legacy';
  const engine = options.clickhouse ?? envEngine;
  const own = engine === envEngine;
  const clickhouseUrl = (own ? env.CLICKHOUSE_URL : undefined) ?? CLICKHOUSE_DEFAULTS[engine].url;
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  return {
    repoRoot,
    stackDir: env.KEYWATCH_STACK_DIR ?? path.join(repoRoot, '.keywatch', 'stack'),
    cacheDir: env.KEYWATCH_CACHE ?? path.join(homedir(), '.cache', 'keywatch'),
    kafka: {
      ...kafka,
      controllerPort: int(env, 'KEYWATCH_KAFKA_CONTROLLER_PORT', kafka.port + 1),
      heapMb: int(env, 'KEYWATCH_KAFKA_HEAP_MB', 512),
    },
    clickhouse: {
      engine,
      url: clickhouseUrl,
      ...(({ host, port }) => ({ host, httpPort: port }))(parseUrl(clickhouseUrl, 'CLICKHOUSE_URL', 8123)),
      tcpPort: own
        ? int(env, 'KEYWATCH_CLICKHOUSE_TCP_PORT', CLICKHOUSE_DEFAULTS[engine].tcpPort)
        : CLICKHOUSE_DEFAULTS[engine].tcpPort,
    },
    redis: { url: redisUrl, ...parseUrl(redisUrl, 'REDIS_URL', 6379) },
  };
}

/** True when the stack may start a server for this host (it never starts one for a remote address). */
export function isLocalHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * What a service, the CLI or a test needs to use this stack, as environment variables
 * (`keywatch stack env` prints them as `export` lines).
 */
export function stackEnvironment(settings: StackSettings): Record<string, string> {
  const broker = settings.kafka.host.includes(':') ? `[${settings.kafka.host}]` : settings.kafka.host;
  return {
    KAFKA_BROKERS: `${broker}:${settings.kafka.port}`,
    CLICKHOUSE_URL: settings.clickhouse.url,
    REDIS_URL: settings.redis.url,
    KEYWATCH_CLICKHOUSE_ENGINE: settings.clickhouse.engine,
    KEYWATCH_CLICKHOUSE_TCP_PORT: String(settings.clickhouse.tcpPort),
  };
}
