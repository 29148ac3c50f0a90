import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { generateKey } from '@keywatch/contracts';
import { expect, test } from '@keywatch/testkit';
import { hasService } from './demo/children.js';
import { findNginx } from './demo/nginx.js';
import { repoRoot } from './repo.js';
import { tsxLoader } from './commands/run.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test(
  'keywatch demo runs the whole system in a short mode: services up, traffic, alerts, signed deliveries, summary, clean stop',
  { timeout: 300_000 },
  async ({ kafka, clickhouse, redis }) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: kafka.brokers.join(','),
      KEYWATCH_TOPIC_PREFIX: kafka.prefix,
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      REDIS_URL: redis.url,
      DETECTOR_REDIS_PREFIX: `${redis.prefix}detector:`,
      // Fresh consumer groups: a running Keywatch on the same brokers keeps its own.
      INGEST_GROUP_ID: `demo-test-ingest-${randomBytes(4).toString('hex')}`,
      DETECTOR_GROUP_ID: `demo-test-detector-${randomBytes(4).toString('hex')}`,
      NOTIFIER_GROUP_ID: `demo-test-notifier-${randomBytes(4).toString('hex')}`,
      KEYWATCH_ROOT_KEY: generateKey({ type: 'secret', environment: 'live' }),
      KEYWATCH_FINGERPRINT_SECRET: randomBytes(32).toString('hex'),
      KEYWATCH_SECRETS_KEY: randomBytes(32).toString('hex'),
      NO_COLOR: '1',
      LOG_LEVEL: 'warn',
    };
    const child = spawn(
      process.execPath,
      [
        '--import',
        tsxLoader,
        path.join(repoRoot, 'packages/cli/src/main.ts'),
        'demo',
        '--duration',
        '30s',
        '--tenants',
        '2',
        '--rate',
        '30',
      ],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, output).toBe(0);

    for (const name of ['key-service', 'analytics-api', 'ingest-worker', 'detector-worker', 'gateway'])
      expect(output).toMatch(new RegExp(`✔ ${name}\\s+http://127\\.0\\.0\\.1:\\d+`));
    expect(output).toContain('▶ attack on: enumeration');
    expect(output).toMatch(/gateway\s+\d+ req\/s( \(nginx\s+\d+\))? · ingested\s+\d+ ev\/s/);
    // With nginx installed, part of the traffic goes nginx → auth server, and its events reach ClickHouse.
    if (findNginx()) {
      expect(output).toMatch(/✔ auth-server\s+http:\/\/127\.0\.0\.1:\d+/);
      expect(output).toMatch(/✔ nginx\s+http:\/\/127\.0\.0\.1:\d+\s+auth_request → auth server/);
      expect(output).toMatch(/of which through nginx \+ auth server: [1-9]\d* \(0 failed\)/);
      expect(output).toMatch(/demo-nginx\s+[1-9]\d* events/);
    } else expect(output).toContain('nginx            not installed');
    expect(output).toMatch(/demo-gateway\s+[1-9]\d* events/);
    // The enumeration scenario always raises credential stuffing; the secret key sent from a browser always raises its alert.
    expect(output).toMatch(/⚠ \d\d:\d\d:\d\d MEDIUM\s+credential_stuffing/);
    expect(output).toMatch(/HIGH\s+secret_key_client_side/);
    if (hasService('notifier')) {
      expect(output).toMatch(/⇢ webhook to tenant_sim_00\d: \w+ \w+ alr_\w+ — signature verified ✔/);
      expect(output).not.toContain('REFUSED');
    }
    expect(output).toContain('━━ 8. per-key usage, from the analytics API');
    expect(output).toMatch(/'tenant_sim_001'\s+│\s+'key_/);
    expect(output).toContain('━━ 9. the alert feed (GET /v1/alerts)');

    // Every child was stopped, and none is left running.
    const pids = [...output.matchAll(/pid (\d+), (healthy|upstream)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(5);
    expect(pids.filter(alive)).toEqual([]);
    expect(output).toMatch(/gateway\s+stopped in/);
    expect(output).toContain(`logs: ${path.join(repoRoot, '.keywatch/demo')}/<service>.log`);
  },
);
