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
  clickhouse: { url: string; host: string; httpPort: number; tcpPort: number };
  redis: { url: string; host: string; port: number };
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

/** Resolves the stack's settings from the environment the CLI passes in (packages never read it). */
export function resolveStackSettings(env: Env, repoRoot: string): StackSettings {
  const firstBroker = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0] ?? '';
  const kafka = hostPort(firstBroker, 'KAFKA_BROKERS');
  const clickhouseUrl = env.CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
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
      url: clickhouseUrl,
      ...(({ host, port }) => ({ host, httpPort: port }))(parseUrl(clickhouseUrl, 'CLICKHOUSE_URL', 8123)),
      tcpPort: int(env, 'KEYWATCH_CLICKHOUSE_TCP_PORT', 9000),
    },
    redis: { url: redisUrl, ...parseUrl(redisUrl, 'REDIS_URL', 6379) },
  };
}

/** True when the stack may start a server for this host (it never starts one for a remote address). */
export function isLocalHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
