import { randomBytes } from 'node:crypto';
import { createClickHouse, sql } from '@keywatch/clickhouse';
import { parseConfig } from '@keywatch/config';
import { exampleAuthEvent, formatIssues, newEventId, OUTCOME_STATUS, topicNames, type AuthEvent, type Outcome } from '@keywatch/contracts';
import { createConsumerRunner, createKafka, createProducer, DLQ_HEADERS, type OutgoingMessage } from '@keywatch/kafka';
import { ingestConfig, startIngestWorker } from '@keywatch/ingest-worker';
import { resolveStackSettings, stackUp } from '@keywatch/local-stack';
import type { Command } from 'commander';
import { cliLogger } from '../logger.js';
import { repoRoot } from '../repo.js';
import { migrate } from './migrate.js';
import { printStatus } from './stack.js';

const RUN_HEADER = 'keywatch-demo-run';

// Weighted like a healthy API with a few attacks in it: mostly allowed, some failures.
const OUTCOMES: Array<[Outcome, number]> = [
  ['allowed', 80], ['unknown_key', 6], ['malformed_key', 2], ['rate_limited', 5], ['insufficient_scope', 3], ['expired_key', 2], ['revoked_key', 1], ['environment_mismatch', 1],
];
const ROUTES: Array<[string, string, string]> = [
  ['GET', '/v1/bundles', 'bundles:read'], ['GET', '/v1/subscriptions', 'subscriptions:read'], ['POST', '/v1/subscriptions', 'subscriptions:write'],
  ['GET', '/v1/customers/:id', 'customers:read'], ['POST', '/v1/payments', 'payments:write'],
];
const TENANTS = ['tenant_dev_abc123', 'tenant_prod_xyz789', 'tenant_prod_qrs456'];

function pick<T>(weighted: Array<[T, number]>): T {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  let roll = Math.random() * total;
  for (const [value, weight] of weighted) if ((roll -= weight) < 0) return value;
  return weighted[0]![0];
}

function demoEvent(gatewayId: string, i: number): AuthEvent {
  const outcome = pick(OUTCOMES);
  const [method, route, scope] = ROUTES[i % ROUTES.length]!;
  const tenant = TENANTS[i % TENANTS.length]!;
  const known = !['unknown_key', 'malformed_key'].includes(outcome);
  return exampleAuthEvent({
    gateway_id: gatewayId,
    tenant_id: known ? tenant : null,
    key_id: known ? `key_demo${tenant.slice(-6)}${String(i % 4).padStart(12, '0')}` : null,
    key_fingerprint: randomBytes(8).toString('hex'),
    outcome,
    method,
    route,
    scope,
    status: OUTCOME_STATUS[outcome] ?? (method === 'POST' ? 201 : 200),
    latency_ms: Math.round(Math.random() * 800) / 10,
    ip: `198.51.100.${1 + (i % 200)}`,
  });
}

const INVALID = ['{"v":1,"event_id":', '', '{"v":2}', JSON.stringify({ ...exampleAuthEvent(), outcome: 'teleported' }), JSON.stringify({ ...exampleAuthEvent(), ip: 'not-an-ip', ts: 'now' })];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('stack up, migrate, then push auth events through Kafka → ingest worker → ClickHouse and show the result')
    .option('--events <n>', 'valid auth events to produce', (v) => Number.parseInt(v, 10), 5000)
    .option('--invalid <n>', 'invalid messages to produce (they must reach the dead-letter topic)', (v) => Number.parseInt(v, 10), 25)
    .action(async (options: { events: number; invalid: number }) => {
      const logger = cliLogger(process.env);
      console.log('━━ 1. local stack');
      printStatus(await stackUp(resolveStackSettings(process.env, repoRoot), (line) => console.error(`  … ${line}`)));
      console.log('\n━━ 2. migrations and topics');
      await migrate(process.env, logger);

      // The demo's in-process worker serves no metrics port (a running ingest worker may hold it).
      const config = parseConfig(ingestConfig, { INGEST_METRICS_PORT: '-1', ...process.env });
      const topics = topicNames(config.KEYWATCH_TOPIC_PREFIX);
      const run = newEventId();
      const gatewayId = `demo-${run.slice(-8)}`;
      console.log(`\n━━ 3. ingest worker (group ${config.INGEST_GROUP_ID}) and ${options.events} + ${options.invalid} invalid events (run ${gatewayId})`);
      // The worker's own warnings (each dead-lettered batch) would drown the demo's progress line.
      const worker = await startIngestWorker(config, logger.child({}, { level: 'error' }));
      const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-demo', logger });
      const producer = await createProducer(kafka);
      const clickhouse = createClickHouse({ url: config.CLICKHOUSE_URL, database: config.CLICKHOUSE_DATABASE, username: config.CLICKHOUSE_USER, password: config.CLICKHOUSE_PASSWORD, logger });
      const reasons = new Map<string, number>();
      const dlq = createConsumerRunner({
        kafka, logger, groupId: `keywatch-demo-${run}`, topics: [topics.authEventsDlq],
        handler: async (batch) => {
          for (const m of batch.messages) {
            if (m.headers?.[RUN_HEADER]?.toString() !== run) continue;
            const reason = m.headers?.[DLQ_HEADERS.reason]?.toString() ?? '?';
            reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          }
        },
      });
      await dlq.start();
      try {
        const started = Date.now();
        for (let sent = 0; sent < options.events; sent += 1000) {
          const batch: OutgoingMessage[] = [];
          for (let i = sent; i < Math.min(sent + 1000, options.events); i++) {
            const event = demoEvent(gatewayId, i);
            batch.push({ key: event.key_id ?? event.key_fingerprint ?? event.ip, value: JSON.stringify(event) });
          }
          await producer.send(topics.authEvents, batch);
        }
        await producer.send(topics.authEvents, Array.from({ length: options.invalid }, (_, i) => ({ key: `invalid-${i}`, value: INVALID[i % INVALID.length]!, headers: { [RUN_HEADER]: run } })));
        console.log(`  produced in ${Date.now() - started} ms; waiting for ClickHouse and the dead-letter topic…`);

        let rows = 0;
        let dead = 0;
        const deadline = Date.now() + 60_000;
        while (Date.now() < deadline) {
          const [row] = await clickhouse.query<{ n: string }>(sql`SELECT count() AS n FROM auth_events FINAL WHERE gateway_id = ${gatewayId}`);
          rows = Number(row?.n ?? 0);
          dead = [...reasons.values()].reduce((a, b) => a + b, 0);
          process.stdout.write(`\r  in ClickHouse: ${rows}/${options.events}   in dead-letter topic: ${dead}/${options.invalid}   `);
          if (rows >= options.events && dead >= options.invalid) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        console.log(`\n  end to end in ${((Date.now() - started) / 1000).toFixed(1)} s`);

        console.log('\n━━ 4. per tenant, from ClickHouse');
        const perTenant = await clickhouse.query<{ tenant: string; requests: string; errors: string; error_rate: number; rate_limited: string }>(
          sql`SELECT if(tenant_id = '', '(unknown key)', tenant_id) AS tenant, count() AS requests, countIf(outcome != 'allowed') AS errors,
                  round(errors / requests, 3) AS error_rate, countIf(outcome = 'rate_limited') AS rate_limited
           FROM auth_events FINAL WHERE gateway_id = ${gatewayId} GROUP BY tenant ORDER BY requests DESC`,
        );
        console.table(perTenant.map((r: { tenant: string; requests: string; errors: string; error_rate: number; rate_limited: string }) => ({ tenant: r.tenant, requests: Number(r.requests), errors: Number(r.errors), error_rate: r.error_rate, rate_limited: Number(r.rate_limited) })));
        console.log('━━ 5. dead-letter reasons');
        console.table([...reasons].map(([reason, count]) => ({ reason: formatIssues([{ field: '', reason }], 90), count })));
        const ok = rows === options.events && dead === options.invalid;
        console.log(ok ? `✔ every valid event is in ClickHouse once (${rows}), every invalid one in ${topics.authEventsDlq} (${dead})` : `✘ expected ${options.events} rows and ${options.invalid} dead letters, saw ${rows} and ${dead}`);
        process.exitCode = ok ? 0 : 1;
      } finally {
        await Promise.allSettled([dlq.close(), worker.close(), producer.close(), clickhouse.close()]);
      }
    });
}
