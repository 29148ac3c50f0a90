import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { alertMessageKey, type Alert } from '@keywatch/contracts';
import { createProducer } from '@keywatch/kafka';
import { expect, test } from '@keywatch/testkit';
import { repoRoot } from './repo.js';
import { tsxLoader } from './commands/run.js';

const base: Alert = {
  v: 1,
  alert_id: 'alr_tail_old',
  type: 'geo_new_country',
  severity: 'low',
  tenant_id: 'tenant_a',
  key_id: 'key_abcdefghijklmnopqrst',
  ip: '203.0.113.9',
  window_start: '2026-11-20T10:00:00.000Z',
  window_end: '2026-11-20T10:00:00.000Z',
  detected_at: '2026-11-20T10:00:01.000Z',
  summary: 'first use from BR',
  evidence: { country: 'BR' },
  dedup_key: 'geo|key_abcdefghijklmnopqrst|BR',
  action: 'none',
};

/** `keywatch alerts tail …` as a child process with its output collected line by line. */
function runTail(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; stdout: string[]; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', tsxLoader, path.join(repoRoot, 'packages/cli/src/main.ts'), 'alerts', 'tail', ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stdout: string[] = [];
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = out.split('\n');
    out = lines.pop() ?? '';
    stdout.push(...lines);
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout, stderr: () => err, exited };
}

async function until(condition: () => boolean, what: () => string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test(
  'alerts tail prints one line per alert from now, marks repeats as updates, and filters by severity',
  { timeout: 120_000 },
  async ({ kafka }) => {
    await kafka.provision({ maxPartitions: 3 });
    const producer = await createProducer(kafka.kafka);
    const env = { KAFKA_BROKERS: kafka.brokers.join(','), KEYWATCH_TOPIC_PREFIX: kafka.prefix, LOG_LEVEL: 'error' };
    const send = (alerts: Alert[]) =>
      producer.send(
        kafka.topics.securityAlerts,
        alerts.map((a) => ({ key: alertMessageKey(a), value: JSON.stringify(a) })),
      );
    try {
      await send([base]);
      const live = runTail(['--evidence'], env);
      try {
        await until(
          () => live.stderr().includes('following'),
          () => `the tail to start; stderr: ${live.stderr()}`,
        );
        const stuffing: Alert = {
          ...base,
          alert_id: 'alr_tail_1',
          type: 'credential_stuffing',
          severity: 'medium',
          key_id: null,
          summary: '12 distinct invalid credentials',
          evidence: { distinct: 12 },
          dedup_key: 'cs|203.0.113.9',
        };
        await send([stuffing]);
        await send([
          { ...stuffing, severity: 'high', summary: '30 distinct invalid credentials', evidence: { distinct: 30 } },
        ]);
        await until(
          () => live.stdout.filter((l) => l.includes('credential_stuffing')).length >= 2,
          () => `two alert lines; got ${JSON.stringify(live.stdout)}`,
        );
        const lines = live.stdout.filter((l) => /^\d\d:\d\d:\d\d /.test(l));
        expect(lines).toEqual([
          '10:00:01 MEDIUM   credential_stuffing    tenant=tenant_a key=- ip=203.0.113.9  12 distinct invalid credentials',
          '10:00:01 HIGH     updated credential_stuffing    tenant=tenant_a key=- ip=203.0.113.9  30 distinct invalid credentials',
        ]);
        expect(live.stdout).toContain('      "distinct": 30');
        expect(live.stdout.join('\n')).not.toContain('\u001b[');
        expect(live.stdout.join('\n')).not.toContain('alr_tail_old');
      } finally {
        live.child.kill('SIGINT');
        expect(await live.exited).toBe(0);
      }

      const history = runTail(['--from-beginning', '--json', '--severity', '>=high'], env);
      try {
        await until(
          () => history.stderr().includes('following'),
          () => `the tail to start; stderr: ${history.stderr()}`,
        );
        // A last alert marks the end: once it is printed, everything before it on its partition was read.
        await send([{ ...base, alert_id: 'alr_tail_end', severity: 'critical', dedup_key: 'cs|203.0.113.9' }]);
        await until(
          () => history.stdout.some((l) => l.includes('alr_tail_end')),
          () => `the last alert; got ${JSON.stringify(history.stdout)} ${history.stderr()}`,
        );
        const read = history.stdout.map((l) => JSON.parse(l) as Alert).map((a) => `${a.alert_id}:${a.severity}`);
        expect(read.sort()).toEqual(['alr_tail_1:high', 'alr_tail_end:critical']);
      } finally {
        history.child.kill('SIGTERM');
        expect(await history.exited).toBe(0);
      }
    } finally {
      await producer.close();
    }
  },
);
