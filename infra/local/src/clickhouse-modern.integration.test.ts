import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { resolveStackSettings } from './settings.js';
import { stackDown, stackStatus, stackUp } from './stack.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function sql(url: string, query: string): Promise<string> {
  const response = await fetch(url, { method: 'POST', body: query });
  const text = await response.text();
  if (!response.ok) throw new Error(`${query}: ${text}`);
  return text.trim();
}

// A private modern engine (own ports and stack dir; Kafka and Redis are the shared ones, left alone):
// start, health, status, data kept across a restart, stop. The library comes from the cache that
// `keywatch test` fills before the suite (or is installed here on a machine without it).
describe('the modern ClickHouse stack engine', () => {
  test('starts, answers HTTP and native, keeps its data across a restart and stops on SIGTERM', async () => {
    const stackDir = await mkdtemp(path.join(tmpdir(), 'kw-modern-'));
    const [http, native] = [await freePort(), await freePort()];
    const settings = resolveStackSettings(
      {
        ...process.env,
        KEYWATCH_STACK_DIR: stackDir,
        KEYWATCH_CLICKHOUSE_ENGINE: 'modern',
        CLICKHOUSE_URL: `http://127.0.0.1:${http}`,
        KEYWATCH_CLICKHOUSE_TCP_PORT: String(native),
      },
      repoRoot,
    );
    const url = settings.clickhouse.url;
    const clickhouse = async () => (await stackStatus(settings)).find((s) => s.name === 'clickhouse');
    try {
      const started = (await stackUp(settings, () => {})).find((s) => s.name === 'clickhouse');
      expect(started).toMatchObject({ state: 'started', address: url, pid: expect.any(Number) });
      expect(Number((await sql(url, 'SELECT version()')).split('.')[0])).toBeGreaterThanOrEqual(26);
      expect(await sql(url, 'SELECT timezone()')).toMatch(/UTC/);
      // The native port listens too (clickhouse-client and the native drivers use it).
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: native }, () => {
          socket.destroy();
          resolve();
        });
        socket.once('error', reject);
      });
      expect(await clickhouse()).toMatchObject({ state: 'running' });
      await sql(url, 'CREATE DATABASE kept');
      await sql(url, 'CREATE TABLE kept.t (n UInt64) ENGINE = MergeTree ORDER BY n');
      await sql(url, 'INSERT INTO kept.t SELECT number FROM numbers(1000)');

      await stackDown(settings, () => {});
      expect(await clickhouse()).toMatchObject({ state: 'down' });
      await stackUp(settings, () => {});
      expect(await sql(url, 'SELECT count(), sum(n) FROM kept.t')).toBe('1000\t499500');
    } finally {
      await stackDown(settings, () => {});
      await rm(stackDir, { recursive: true, force: true });
    }
  }, 300_000);
});
