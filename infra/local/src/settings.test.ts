import { describe, expect, it } from 'vitest';
import { resolveStackSettings, stackEnvironment } from './settings.js';

describe('stack settings: the ClickHouse engine', () => {
  it('default to legacy on its usual ports, modern on its own', () => {
    expect(resolveStackSettings({}, '/repo').clickhouse).toEqual({
      engine: 'legacy',
      url: 'http://127.0.0.1:8123',
      host: '127.0.0.1',
      httpPort: 8123,
      tcpPort: 9000,
    });
    expect(resolveStackSettings({}, '/repo', { clickhouse: 'modern' }).clickhouse).toEqual({
      engine: 'modern',
      url: 'http://127.0.0.1:18123',
      host: '127.0.0.1',
      httpPort: 18123,
      tcpPort: 19000,
    });
  });

  it('take the URL and native port from the environment only for the engine it names', () => {
    const legacyEnv = { CLICKHOUSE_URL: 'http://127.0.0.1:7123', KEYWATCH_CLICKHOUSE_TCP_PORT: '7000' };
    expect(resolveStackSettings(legacyEnv, '/repo').clickhouse).toMatchObject({ httpPort: 7123, tcpPort: 7000 });
    // A flag choosing the other engine does not reuse the legacy engine's address.
    expect(resolveStackSettings(legacyEnv, '/repo', { clickhouse: 'modern' }).clickhouse).toMatchObject({
      engine: 'modern',
      httpPort: 18123,
      tcpPort: 19000,
    });
    const modernEnv = { ...legacyEnv, KEYWATCH_CLICKHOUSE_ENGINE: 'modern' };
    expect(resolveStackSettings(modernEnv, '/repo').clickhouse).toMatchObject({
      engine: 'modern',
      httpPort: 7123,
      tcpPort: 7000,
    });
    expect(resolveStackSettings(modernEnv, '/repo', { clickhouse: 'legacy' }).clickhouse).toMatchObject({
      engine: 'legacy',
      httpPort: 8123,
    });
  });

  it('refuse an unknown engine, naming the variable', () => {
    expect(() => resolveStackSettings({ KEYWATCH_CLICKHOUSE_ENGINE: '25.8' }, '/repo')).toThrow(
      /^KEYWATCH_CLICKHOUSE_ENGINE must be legacy or modern, got "25\.8"/,
    );
  });

  it('print what a service needs, so that the same environment resolves to the same stack', () => {
    const env = stackEnvironment(resolveStackSettings({}, '/repo', { clickhouse: 'modern' }));
    expect(env).toEqual({
      KAFKA_BROKERS: '127.0.0.1:9092',
      CLICKHOUSE_URL: 'http://127.0.0.1:18123',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KEYWATCH_CLICKHOUSE_ENGINE: 'modern',
      KEYWATCH_CLICKHOUSE_TCP_PORT: '19000',
    });
    expect(resolveStackSettings(env, '/repo').clickhouse).toMatchObject({ engine: 'modern', httpPort: 18123 });
  });
});
