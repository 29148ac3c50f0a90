import { z } from 'zod';
import { enumOf, list, str, url } from './fields.js';

/** pino's levels, lowest volume first; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

function hostPort(item: string): string | undefined {
  const port = Number(HOST_PORT.exec(item)?.[1] ?? 0);
  return port >= 1 && port <= 65_535 ? undefined : 'expected host:port';
}

/**
 * Where the engines are and how loudly to log: the variables every service, the CLI and the tests
 * share (docs/contracts.md#environment). Defaults point at the local stack.
 */
export const engineConfig = z.object({
  /** Kafka bootstrap servers, `host:port` comma-separated. Default `127.0.0.1:9092`. */
  KAFKA_BROKERS: list({ default: ['127.0.0.1:9092'], item: hostPort }),
  /** ClickHouse HTTP interface. Default `http://127.0.0.1:8123`. */
  CLICKHOUSE_URL: url({ default: 'http://127.0.0.1:8123', protocols: ['http', 'https'] }),
  /** Database holding Keywatch's tables (a plain identifier). Default `keywatch`. */
  CLICKHOUSE_DATABASE: str({ default: 'keywatch', pattern: /^[A-Za-z_][A-Za-z0-9_]*$/ }),
  /** Default `default`. */
  CLICKHOUSE_USER: str({ default: 'default' }),
  /** Default empty. */
  CLICKHOUSE_PASSWORD: str({ default: '' }),
  /** Default `redis://127.0.0.1:6379`. */
  REDIS_URL: url({ default: 'redis://127.0.0.1:6379', protocols: ['redis', 'rediss'] }),
  /** Prepended to every topic name, e.g. `staging.`; Kafka topic characters only. Default empty. */
  KEYWATCH_TOPIC_PREFIX: str({ default: '', pattern: /^[A-Za-z0-9._-]*$/ }),
  /** One of {@link LOG_LEVELS}. Default `info`. */
  LOG_LEVEL: enumOf(LOG_LEVELS, { default: 'info' }),
});

/** The parsed {@link engineConfig}. */
export type EngineConfig = z.output<typeof engineConfig>;

/**
 * A service's schema: {@link engineConfig} plus the service's own fields (which win on a name
 * clash).
 * @example
 * const schema = defineConfig({ PORT: int({ default: 8080, min: 1, max: 65_535 }) });
 * const config = parseConfig(schema, process.env); // in main() only
 */
export function defineConfig<Shape extends z.ZodRawShape>(fields: Shape) {
  return engineConfig.extend(fields);
}
