import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, bool, defineConfig, duration, engineConfig, int, parseConfig, str } from './index.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('engineConfig', () => {
  it('defaults to the local stack', () => {
    expect(parseConfig(engineConfig, {})).toEqual({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      CLICKHOUSE_DATABASE: 'keywatch',
      CLICKHOUSE_USER: 'default',
      CLICKHOUSE_PASSWORD: '',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KEYWATCH_TOPIC_PREFIX: '',
      LOG_LEVEL: 'info',
    });
  });

  it('reads set values and ignores unrelated variables', () => {
    const config = parseConfig(engineConfig, {
      KAFKA_BROKERS: 'kafka-1:9092, kafka-2.internal:19092,[::1]:9093',
      CLICKHOUSE_URL: 'https://ch.example.com:8443',
      LOG_LEVEL: 'debug',
      KEYWATCH_TOPIC_PREFIX: 'staging.',
      PATH: '/usr/bin',
    });
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2.internal:19092', '[::1]:9093']);
    expect(config.CLICKHOUSE_URL).toBe('https://ch.example.com:8443');
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.KEYWATCH_TOPIC_PREFIX).toBe('staging.');
    expect(config).not.toHaveProperty('PATH');
  });

  it.each(['kafka', 'kafka:0', 'kafka:70000', 'kafka:x', 'http://kafka:9092'])('rejects the broker %j', (broker) => {
    expect(configError(() => parseConfig(engineConfig, { KAFKA_BROKERS: broker })).issues).toEqual([
      { variable: 'KAFKA_BROKERS', reason: `item 1: expected host:port (got ${JSON.stringify(broker)})` },
    ]);
  });
});

describe('defineConfig', () => {
  const schema = defineConfig({
    PORT: int({ default: 8080, min: 1, max: 65_535 }),
    KEYWATCH_ROOT_KEY: str(),
    CACHE_TTL: duration({ default: '30s' }),
    KEYWATCH_WEBHOOK_ALLOW_PRIVATE: bool({ default: false }),
  });

  it('adds service fields to the engine fields, typed', () => {
    const config = parseConfig(schema, { KEYWATCH_ROOT_KEY: 'root', CACHE_TTL: '5m' });
    const port: number = config.PORT;
    const brokers: string[] = config.KAFKA_BROKERS;
    expect({ port, brokers, ttl: config.CACHE_TTL, allowPrivate: config.KEYWATCH_WEBHOOK_ALLOW_PRIVATE }).toEqual({
      port: 8080,
      brokers: ['127.0.0.1:9092'],
      ttl: 300_000,
      allowPrivate: false,
    });
  });

  it('lists every missing or bad variable in one error, one per line', () => {
    const error = configError(() =>
      parseConfig(schema, {
        PORT: 'eighty',
        CACHE_TTL: '5 minutes',
        KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'yes',
        LOG_LEVEL: 'verbose',
        REDIS_URL: 'http://cache:6379',
      }),
    );
    expect(error.issues.map((issue) => issue.variable).sort()).toEqual(
      ['CACHE_TTL', 'KEYWATCH_ROOT_KEY', 'KEYWATCH_WEBHOOK_ALLOW_PRIVATE', 'LOG_LEVEL', 'PORT', 'REDIS_URL'].sort(),
    );
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('invalid configuration (6 problems):');
    expect(lines.slice(1).sort()).toEqual(
      [
        '  CACHE_TTL: expected a duration such as 500ms, 30s, 5m, 1h or integer milliseconds (got "5 minutes")',
        '  KEYWATCH_ROOT_KEY: required but not set',
        '  KEYWATCH_WEBHOOK_ALLOW_PRIVATE: expected true, false, 1 or 0 (got "yes")',
        '  LOG_LEVEL: expected one of: fatal, error, warn, info, debug, trace, silent (got "verbose")',
        '  PORT: expected an integer from 1 to 65535 (got "eighty")',
        '  REDIS_URL: expected a URL with scheme redis or rediss (got "http://cache:6379")',
      ].sort(),
    );
    expect(error).toMatchObject({ name: 'ConfigError', code: 'invalid_config', retryable: false });
  });

  it('truncates long bad values', () => {
    const error = configError(() => parseConfig(schema, { KEYWATCH_ROOT_KEY: 'r', PORT: '9'.repeat(100) }));
    expect(error.message).toContain(`(got "${'9'.repeat(40)}…")`);
    expect(error.message).not.toContain('9'.repeat(41));
  });
});

describe('secrets in errors', () => {
  const secret = `s3cr3t-${Math.random().toString(36).slice(2)}`;
  const sensitive = z.object({
    API_KEY: int(),
    WEBHOOK_SECRET: int(),
    GITHUB_TOKEN: int(),
    DB_PASSWORD: int(),
    KEYWATCH_ROOT_KEY: str({ pattern: /^sk_/ }),
  });

  it('names the variable and the reason but never echoes the value', () => {
    const error = configError(() =>
      parseConfig(sensitive, {
        API_KEY: secret,
        WEBHOOK_SECRET: secret,
        GITHUB_TOKEN: secret,
        DB_PASSWORD: secret,
        KEYWATCH_ROOT_KEY: secret,
      }),
    );
    expect(error.issues).toHaveLength(5);
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain('  DB_PASSWORD: expected an integer (value hidden)');
    expect(error.message).toContain('  KEYWATCH_ROOT_KEY: must match /^sk_/ (value hidden)');
  });

  it('hides values that look like API keys and credentials inside URLs', () => {
    const apiKey = `sk_live_${'x'.repeat(36)}`;
    const error = configError(() =>
      parseConfig(engineConfig, {
        CLICKHOUSE_DATABASE: apiKey,
        REDIS_URL: `http://admin:${secret}@cache:6379`,
      }),
    );
    expect(error.message).not.toContain(apiKey);
    expect(error.message).not.toContain(secret);
    expect(error.message).toContain('(got "http://***@cache:6379")');
  });

  it('still shows values of non-secret KEYWATCH_ variables', () => {
    const error = configError(() => parseConfig(engineConfig, { KEYWATCH_TOPIC_PREFIX: 'bad/prefix' }));
    expect(error.message).toContain('(got "bad/prefix")');
  });

  it('reports plain zod fields that are unset as required', () => {
    const error = configError(() => parseConfig(z.object({ NAME: z.string() }), {}));
    expect(error.issues).toEqual([{ variable: 'NAME', reason: 'required but not set' }]);
  });
});
