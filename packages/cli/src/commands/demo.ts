import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createAnalyticsClient,
  createKeyServiceClient as createAdminClient,
  type KeyServiceClient as AdminClient,
} from '@keywatch/api-client';
import { createClickHouse, sql } from '@keywatch/clickhouse';
import { engineConfig, parseConfig, parseDuration } from '@keywatch/config';
import { topicNames, type Alert } from '@keywatch/contracts';
import { createKafka } from '@keywatch/kafka';
import { resolveStackSettings, stackUp } from '@keywatch/local-stack';
import {
  ATTACKS,
  createKeyServiceClient,
  runHttpSimulation,
  sequentialSchedule,
  type Attack,
  type SimulationReport,
} from '@keywatch/traffic-sim';
import type { Logger } from '@keywatch/logger';
import { InvalidArgumentError, type Command } from 'commander';
import { formatAlert, useColor } from '../alerts-format.js';
import { startAlertTail, type AlertTail } from '../alerts-tail.js';
import { freePort, hasService, Supervisor, type ChildService } from '../demo/children.js';
import { metricSum, scrape } from '../demo/metrics.js';
import { findNginx, startDemoNginx, startDemoUpstream, type DemoNginx } from '../demo/nginx.js';
import { startWebhookReceiver, type WebhookReceiver } from '../demo/receiver.js';
import { cliLogger } from '../logger.js';
import { repoRoot } from '../repo.js';
import { ensureLocalSecrets } from './keys.js';
import { migrate } from './migrate.js';
import { printStatus } from './stack.js';

interface DemoOptions {
  duration: number;
  attacks: boolean;
  keepRunning?: boolean;
  rate: number;
  tenants: number;
  seed?: number;
}

/** The services in start order (stopped in reverse); `health` is the path answered when ready. */
const SERVICES: ReadonlyArray<{ name: string; portVar: string; port: number; health: string; what: string }> = [
  { name: 'key-service', portVar: 'KEY_SERVICE_PORT', port: 8080, health: '/healthz', what: 'admin API' },
  {
    name: 'analytics-api',
    portVar: 'ANALYTICS_API_PORT',
    port: 8081,
    health: '/healthz',
    what: 'analytics and alert feed',
  },
  { name: 'ingest-worker', portVar: 'INGEST_METRICS_PORT', port: 9464, health: '/healthz', what: 'metrics' },
  { name: 'detector-worker', portVar: 'DETECTOR_METRICS_PORT', port: 9465, health: '/healthz', what: 'metrics' },
  { name: 'notifier', portVar: 'NOTIFIER_METRICS_PORT', port: 9466, health: '/healthz', what: 'metrics' },
  { name: 'console', portVar: 'CONSOLE_PORT', port: 8090, health: '/healthz', what: 'security console' },
  { name: 'gateway', portVar: 'GATEWAY_PORT', port: 8088, health: '/healthz', what: 'reference gateway' },
];
/** Started only when nginx is installed: nginx with `auth_request` asks it for part of the traffic. */
const AUTH_SERVER = {
  name: 'auth-server',
  portVar: 'AUTH_SERVER_PORT',
  port: 8089,
  health: '/healthz',
  what: 'auth server (for nginx)',
};
/** The `gateway_id` of each way in, as the auth events (and ClickHouse) record them. */
const GATEWAY_IDS = { gateway: 'demo-gateway', nginx: 'demo-nginx' } as const;
/** Share of the traffic sent through nginx + auth server when nginx is installed. */
const NGINX_SHARE = 0.3;

/**
 * The detector's rate-limit windows, compressed so that the scenario fires within its slot of
 * the demo: a violation needs two consecutive windows over the limit (by default 5 min and 50
 * rejections each). A `DETECTOR_SETTINGS` in the environment wins.
 */
function demoDetectorSettings(attackSlotMs: number): { json: string; windowMs: number } {
  const windowMs = Math.min(300_000, Math.max(3000, Math.round(attackSlotMs / 3 / 1000) * 1000));
  return { json: JSON.stringify({ rate_limit_violation: { window_ms: windowMs, min_rate_limited: 20 } }), windowMs };
}

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 10_000)
    throw new InvalidArgumentError('must be a duration of at least 10s, e.g. 90s, 3m');
  return ms;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Registers `keywatch demo`: the whole system on one machine, live, then a summary. */
export function registerDemo(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('demo')
    .description(
      'the main job: stack up, migrations and topics, a root key if none, every service as a child process, a local webhook receiver, demo tenants and keys, normal traffic with the attack scenarios one after another; live events/s, alerts and signed webhook deliveries, then per-key usage and what to open next',
    )
    .option('--duration <d>', 'how long the simulated traffic runs, e.g. 90s, 3m', durationArg, 180_000)
    .option('--no-attacks', 'normal traffic only')
    .option('--keep-running', 'after the summary, keep every service running until Ctrl-C')
    .option('--rate <n>', 'normal requests per second at the daily peak', positiveInt, 40)
    .option('--tenants <n>', 'demo tenants (3 keys each, plus a publishable key)', positiveInt, 3)
    .option('--seed <n>', 'random seed of the traffic (default: a new one per run)', positiveInt)
    .action(async (options: DemoOptions) => {
      process.exitCode = await runDemo(options, env);
    });
}

async function runDemo(options: DemoOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const logger = cliLogger(env);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const color = useColor(process.stdout, env);
  const stop = new AbortController();
  let interrupted = false as boolean; // set by the SIGINT handler
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    out('\n⏹  stopping (Ctrl-C) …');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const logDir = path.join(repoRoot, '.keywatch', 'demo');
  let supervisor: Supervisor | undefined;
  let nginx: DemoNginx | undefined;
  let demoUpstream: { url: string; close(): Promise<void> } | undefined;
  let receiver: WebhookReceiver | undefined;
  let tail: AlertTail | undefined;
  const webhookIds: Array<{ id: string }> = [];
  let admin: AdminClient | undefined;
  let ok = true;
  const checkpoint = () => {
    if (stop.signal.aborted) throw new Error('interrupted');
  };
  try {
    out('━━ 1. local stack');
    printStatus(await stackUp(resolveStackSettings(env, repoRoot), (line) => console.error(`  … ${line}`)));

    checkpoint();
    out('\n━━ 2. migrations and topics');
    await migrate(env, logger);
    checkpoint();

    out('\n━━ 3. local secrets');
    const generated = ensureLocalSecrets(env);
    out(
      generated.length > 0
        ? `  generated ${generated.join(', ')} into .env.local (mode 600; \`keywatch keys bootstrap --force\` replaces them)`
        : '  using KEYWATCH_ROOT_KEY, KEYWATCH_FINGERPRINT_SECRET and KEYWATCH_SECRETS_KEY from the environment / .env.local',
    );
    const rootKey = env.KEYWATCH_ROOT_KEY!;
    const engines = parseConfig(engineConfig, env);
    const topics = topicNames(engines.KEYWATCH_TOPIC_PREFIX);

    out(`\n━━ 4. services (logs in ${path.relative(process.cwd(), logDir) || logDir}/)`);
    const durationMs = options.duration;
    const warmupMs = Math.min(20_000, Math.round(durationMs * 0.15));
    const schedule = options.attacks ? sequentialSchedule(ATTACKS, durationMs, warmupMs) : [];
    const detectorSettings = demoDetectorSettings((durationMs - warmupMs) / ATTACKS.length);
    // Part of the traffic goes through nginx (auth_request → auth server) when nginx is installed.
    const nginxBinary = findNginx();
    const services = nginxBinary && hasService(AUTH_SERVER.name) ? [...SERVICES, AUTH_SERVER] : SERVICES;
    const ports: Record<string, number> = {};
    for (const s of services) ports[s.name] = await freePort(s.port);
    const urlOf = (name: string) => `http://127.0.0.1:${ports[name]}`;
    const ksUrl = urlOf('key-service');
    const analyticsUrl = urlOf('analytics-api');
    const gatewayUrl = urlOf('gateway');
    supervisor = new Supervisor(logDir, {
      ...env,
      LOG_LEVEL: env.LOG_LEVEL ?? 'info',
      KEYWATCH_WEBHOOK_ALLOW_PRIVATE: 'true',
      KEYWATCH_KEY_SERVICE_URL: ksUrl,
      KEYWATCH_ANALYTICS_URL: analyticsUrl,
      GATEWAY_TRUSTED_PROXIES: env.GATEWAY_TRUSTED_PROXIES ?? '127.0.0.1',
      DETECTOR_SETTINGS: env.DETECTOR_SETTINGS ?? detectorSettings.json,
      GATEWAY_ID: env.GATEWAY_ID ?? GATEWAY_IDS.gateway,
      AUTH_SERVER_ID: env.AUTH_SERVER_ID ?? 'demo-auth-server',
      ...Object.fromEntries(services.map((s) => [s.portVar, String(ports[s.name])])),
    });
    const started: Array<{ child: ChildService; url: string; what: string }> = [];
    for (const s of services) {
      if (!hasService(s.name)) {
        out(`  – ${s.name.padEnd(16)} not started: services/${s.name}/src/main.ts does not exist in this checkout`);
        continue;
      }
      started.push({ child: supervisor.start(s.name), url: urlOf(s.name), what: s.what });
    }
    // They start together (each takes a few seconds to load); health is awaited one by one.
    for (const { child, url, what } of started) {
      const tookMs = await supervisor.waitHealthy(
        child,
        `${url}${services.find((s) => s.name === child.name)!.health}`,
        120_000,
        stop.signal,
      );
      out(
        `  ✔ ${child.name.padEnd(16)} ${url.padEnd(24)} ${what.padEnd(26)} pid ${child.pid}, healthy after ${seconds(tookMs)}`,
      );
    }
    const has = (name: string) => started.some((s) => s.child.name === name);
    if (!nginxBinary)
      out(
        '  – nginx            not installed: all traffic goes through the reference gateway (apt-get install nginx to send part of it through nginx + the auth server)',
      );
    else if (has(AUTH_SERVER.name)) {
      demoUpstream = await startDemoUpstream();
      nginx = await startDemoNginx({
        binary: nginxBinary,
        dir: path.join(logDir, 'nginx'),
        port: await freePort(8087),
        authUrl: urlOf(AUTH_SERVER.name),
        upstreamUrl: demoUpstream.url,
        gatewayId: GATEWAY_IDS.nginx,
      });
      out(
        `  ✔ ${'nginx'.padEnd(16)} ${nginx.url.padEnd(24)} ${'auth_request → auth server'.padEnd(26)} pid ${nginx.pid}, upstream: the demo routes at ${demoUpstream.url} (config ${path.relative(process.cwd(), path.join(logDir, 'nginx', 'nginx.conf'))})`,
      );
    }
    admin = createAdminClient({ baseUrl: ksUrl, apiKey: rootKey, timeoutMs: 15_000 });
    const analytics = createAnalyticsClient({ baseUrl: analyticsUrl, apiKey: rootKey, timeoutMs: 15_000 });
    checkpoint();

    out('\n━━ 5. webhook receiver and demo tenants');
    const tenants = Array.from({ length: options.tenants }, (_, i) => `tenant_sim_${String(i + 1).padStart(3, '0')}`);
    const alertsSeen = new Map<string, { alert: Alert; at: number }>();
    receiver = await startWebhookReceiver((d) => {
      const seen = d.alert ? alertsSeen.get(d.alert.alert_id) : undefined;
      const after = seen ? ` ${seconds(d.receivedAt - seen.at)} after the alert` : '';
      const what = d.alert ? `${d.alert.severity} ${d.alert.type} ${d.alert.alert_id}` : '(not an alert)';
      out(
        `           ⇢ webhook to ${d.tenant}: ${what} — signature ${d.verified ? 'verified ✔' : `REFUSED ✘ (${d.reason})`}${after}`,
      );
    });
    out(
      `  receiver ${receiver.url}/hooks/<tenant> verifies Keywatch-Signature with @keywatch/webhooks' verifyWebhookSignature`,
    );
    for (const tenant of tenants) {
      try {
        const created = await admin.createWebhook({
          tenant_id: tenant,
          url: `${receiver.url}/hooks/${tenant}`,
          kind: 'json',
        });
        receiver.setSecret(tenant, created.secret);
        webhookIds.push({ id: created.webhook.id });
        out(`  webhook ${created.webhook.id} for ${tenant} (every severity, every type)`);
      } catch (error) {
        out(
          `  ✘ could not register a webhook for ${tenant}: ${error instanceof Error ? error.message : String(error)}`,
        );
        break;
      }
    }
    // Alerts about unknown keys (credential stuffing with random keys) belong to no tenant: a
    // platform destination (root only) is how the security team hears of them.
    try {
      const platform = await admin.createWebhook({
        scope: 'platform',
        all_tenants: false,
        url: `${receiver.url}/hooks/platform`,
        kind: 'json',
      });
      receiver.setSecret('platform', platform.secret);
      webhookIds.push({ id: platform.webhook.id });
      out(
        `  webhook ${platform.webhook.id} for the platform (alerts that belong to no tenant, e.g. credential stuffing with unknown keys)`,
      );
    } catch (error) {
      out(`  ✘ could not register the platform webhook: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!has('notifier')) out('  (no notifier running: alerts will show here, deliveries will not)');
    const team = await admin.createKey({
      tenant_id: tenants[0],
      type: 'secret',
      environment: 'live',
      name: 'demo security team',
      scopes: ['audit:read', 'analytics:read', 'keys:manage', 'webhooks:manage'],
    });
    const teamKeyFile = path.join(logDir, 'security-team.key');
    writeFileSync(teamKeyFile, `${team.secret}\n`, { mode: 0o600 });
    out(
      `  security-team key ${team.key.id} for ${tenants[0]} (audit:read, analytics:read, keys:manage, webhooks:manage): its secret is in ${path.relative(process.cwd(), teamKeyFile)} (mode 600)`,
    );

    const kafka = createKafka({ brokers: engines.KAFKA_BROKERS, clientId: 'keywatch-demo', logger });
    let alertCount = 0;
    tail = await startAlertTail({
      kafka,
      topic: topics.securityAlerts,
      logger,
      onAlert(alert, _raw, update) {
        if (!update) alertCount += 1;
        alertsSeen.set(alert.alert_id, { alert, at: Date.now() });
        out(`  ⚠ ${formatAlert(alert, { color, update })}`);
      },
    });
    await Promise.race([
      tail.ready,
      new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true })),
    ]);
    checkpoint();

    const seed = options.seed ?? 1 + Math.floor(Math.random() * 1_000_000);
    out(
      `\n━━ 6. traffic through the gateway${nginx ? ` and nginx + auth server (${Math.round(NGINX_SHARE * 100)} %)` : ''} for ${seconds(durationMs)} (${options.rate} req/s at peak, seed ${seed})`,
    );
    if (schedule.length > 0) {
      out(
        `  ${seconds(warmupMs)} of normal traffic, then one attack after another, ${seconds(schedule[0]!.endMs - schedule[0]!.startMs)} each: ${schedule.map((w) => w.attack).join(' → ')}`,
      );
      if (env.DETECTOR_SETTINGS === undefined)
        out(
          `  (for the demo the detector's rate-limit windows are ${seconds(detectorSettings.windowMs)} with 20 rejections, not 5 min with 50)`,
        );
      out('  (usage_spike needs 7 days of history of a key: volume_spike will not raise it here)');
    }
    const ingestMetrics = `${urlOf('ingest-worker')}/metrics`;
    const detectorMetrics = `${urlOf('detector-worker')}/metrics`;
    const counters = async () => {
      const [ingest, detector] = await Promise.all([scrape(ingestMetrics), scrape(detectorMetrics)]);
      return {
        ingested: ingest ? metricSum(ingest, 'keywatch_ingest_rows_written_total') : 0,
        lag: ingest ? metricSum(ingest, 'keywatch_ingest_consumer_lag') : 0,
        detected: detector ? metricSum(detector, 'keywatch_detector_events_total', { result: 'processed' }) : 0,
      };
    };
    const base = await counters();
    let last = { ...base, sent: 0, viaSent: 0, at: Date.now() };
    let lastLine = 0;
    const simStarted = Date.now();
    const progress = async (report: SimulationReport, elapsedMs: number) => {
      if (Date.now() - lastLine < 5000) return;
      lastLine = Date.now();
      const now = await counters();
      const dt = (Date.now() - last.at) / 1000;
      const rate = (a: number, b: number) => Math.max(0, Math.round((a - b) / dt));
      const viaSent = report.via?.sent ?? 0;
      const viaPart = nginx ? ` (nginx ${String(rate(viaSent, last.viaSent)).padStart(3)})` : '';
      out(
        `  ${String(Math.round(elapsedMs / 1000)).padStart(4)} s  gateway ${String(rate(report.sent, last.sent)).padStart(4)} req/s${viaPart} · ingested ${String(rate(now.ingested, last.ingested)).padStart(4)} ev/s (${now.ingested - base.ingested}) · detector ${String(rate(now.detected, last.detected)).padStart(4)} ev/s · alerts ${alertCount} · webhooks ${receiver!.deliveries.filter((d) => d.verified).length}`,
      );
      last = { ...now, sent: report.sent, viaSent, at: Date.now() };
    };
    const report = await runHttpSimulation({
      gatewayUrl,
      keys: createKeyServiceClient(ksUrl, rootKey),
      logger: logger.child({}, { level: 'error' }),
      tenants: options.tenants,
      keysPerTenant: 3,
      rps: options.rate,
      durationMs,
      dayLengthMs: Math.max(durationMs, 60_000),
      schedule,
      seed,
      signal: stop.signal,
      via: nginx ? { url: nginx.url, share: NGINX_SHARE } : undefined,
      onPhase: (attack: Attack, on: boolean) => out(on ? `  ▶ attack on: ${attack}` : `  ■ attack off: ${attack}`),
      onProgress: (r, elapsed) => void progress(r, elapsed),
    });
    out(
      `  sent ${report.sent} requests in ${seconds(Date.now() - simStarted)} (${report.failed} failed, ${report.skipped} skipped): ${Object.entries(
        report.byStatus,
      )
        .sort()
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    if (report.via)
      out(
        `    of which through nginx + auth server: ${report.via.sent} (${report.via.failed} failed): ${Object.entries(
          report.via.byStatus,
        )
          .sort()
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
      );

    if (!stop.signal.aborted) {
      out('\n━━ 7. draining the pipeline');
      const drainStarted = Date.now();
      let stableSince = Date.now();
      let previous = -1;
      // Done when the ingest worker has no lag and nothing new arrived (alerts, deliveries) for 5 s.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- aborted by the SIGINT handler meanwhile
      while (Date.now() - drainStarted < 60_000 && !stop.signal.aborted) {
        const now = await counters();
        const signature = now.ingested + alertCount * 1e9 + receiver.deliveries.length * 1e12;
        if (signature !== previous || now.lag > 0) {
          previous = signature;
          stableSince = Date.now();
        }
        if (Date.now() - stableSince >= 5000) break;
        await sleep(500);
      }
      const end = await counters();
      out(
        `  ingested ${end.ingested - base.ingested} events, detector processed ${end.detected - base.detected}, ${alertCount} alerts, ${receiver.deliveries.filter((d) => d.verified).length} verified webhook deliveries (${receiver.deliveries.filter((d) => !d.verified).length} refused) — settled in ${seconds(Date.now() - drainStarted)}`,
      );
      ok = end.ingested - base.ingested > 0 && receiver.deliveries.every((d) => d.verified);
      const byGateway = await eventsByGateway(engines, new Date(simStarted - 5000), logger).catch((error: unknown) => {
        out(`  ✘ could not count events by gateway: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      });
      if (byGateway.length > 0) {
        out('  auth events in ClickHouse by gateway_id (what the analytics API and the console read):');
        for (const g of byGateway)
          out(
            `    ${g.gateway_id.padEnd(18)} ${String(g.events).padStart(7)} events, ${String(g.refused).padStart(6)} refused, ${String(g.keys).padStart(3)} keys`,
          );
      }
      if (nginx && !byGateway.some((g) => g.gateway_id === GATEWAY_IDS.nginx && g.events > 0)) {
        out(`  ✘ no auth event from ${GATEWAY_IDS.nginx} reached ClickHouse`);
        ok = false;
      }

      out('\n━━ 8. per-key usage, from the analytics API');
      const from = new Date(simStarted - 60_000).toISOString();
      const rows: Array<Record<string, string | number>> = [];
      for (const tenant of tenants) {
        const top = await analytics.topKeys({ tenant_id: tenant, from, sort: 'requests', limit: 10 });
        for (const k of top.keys)
          rows.push({
            tenant,
            key_id: k.key_id,
            requests: k.requests,
            errors: k.errors,
            error_rate: `${(k.error_rate * 100).toFixed(1)} %`,
            rate_limited: k.rate_limited,
          });
      }
      console.table(rows);

      out('━━ 9. the alert feed (GET /v1/alerts)');
      const feed = await analytics.listAlerts({ from, limit: 50 });
      console.table(
        feed.alerts.map((a) => ({
          severity: a.severity,
          type: a.type,
          tenant: a.tenant_id ?? '-',
          key: a.key_id ?? '-',
          count: a.count,
          status: a.status,
          alert_id: a.alert_id,
        })),
      );
      if (options.attacks) {
        const types = new Set(feed.alerts.map((a) => a.type));
        out(`  alert types raised: ${[...types].sort().join(', ') || 'none'}`);
      }

      out('\n━━ 10. what to open next');
      const keyRef = `$(cat ${path.relative(process.cwd(), teamKeyFile)})`;
      if (has('console'))
        out(
          `  console        ${urlOf('console')}  (sign in with the security-team key: ${path.relative(process.cwd(), teamKeyFile)}; start it again with --keep-running)`,
        );
      out(`  alert feed     curl -H "Authorization: Bearer ${keyRef}" ${analyticsUrl}/v1/alerts?status=open`);
      out(
        `  acknowledge    curl -X POST -H "Authorization: Bearer ${keyRef}" ${analyticsUrl}/v1/alerts/<alert_id>/ack`,
      );
      out('  live alerts    ./bin/keywatch alerts tail --evidence');
      out(
        `  usage          KEYWATCH_ANALYTICS_URL=${analyticsUrl} ./bin/keywatch analytics top --tenant ${tenants[0]}`,
      );
      out(`  keys           KEYWATCH_KEY_SERVICE_URL=${ksUrl} ./bin/keywatch keys list --tenant ${tenants[0]}`);
      out(`  audit          curl -H "Authorization: Bearer ${keyRef}" ${ksUrl}/v1/audit`);

      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- aborted by the SIGINT handler meanwhile
      if (options.keepRunning && !stop.signal.aborted) {
        out('\n  every service keeps running; Ctrl-C stops them');
        await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
    }
  } catch (error) {
    ok = false;
    if (!interrupted) out(`\n✘ ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    out('\n━━ stopping');
    await tail?.close().catch(() => undefined);
    if (nginx) {
      await nginx.close();
      out(`  ${'nginx'.padEnd(16)} stopped`);
    }
    await demoUpstream?.close().catch(() => undefined);
    // The demo's destinations point at a receiver that is about to close.
    for (const { id } of webhookIds) await admin?.deleteWebhook(id).catch(() => undefined);
    await receiver?.close();
    if (supervisor) {
      await supervisor.stopAll(15_000, (line) => out(`  ${line}`));
      out(`  logs: ${supervisor.logDir}/<service>.log`);
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted) return 130;
  return ok ? 0 : 1;
}

/** Auth events since `from` per `gateway_id`, read back from ClickHouse (exact: one per event_id). */
async function eventsByGateway(
  engines: {
    CLICKHOUSE_URL: string;
    CLICKHOUSE_DATABASE: string;
    CLICKHOUSE_USER: string;
    CLICKHOUSE_PASSWORD: string;
  },
  from: Date,
  logger: Logger,
): Promise<Array<{ gateway_id: string; events: number; refused: number; keys: number }>> {
  const clickhouse = createClickHouse({
    url: engines.CLICKHOUSE_URL,
    database: engines.CLICKHOUSE_DATABASE,
    username: engines.CLICKHOUSE_USER,
    password: engines.CLICKHOUSE_PASSWORD,
    logger,
  });
  try {
    const rows = await clickhouse.query<{ gateway_id: string; events: string; refused: string; keys: string }>(
      sql`SELECT gateway_id, uniqExact(event_id) AS events, uniqExactIf(event_id, outcome != 'allowed') AS refused,
                 uniqExactIf(key_id, key_id != '') AS keys
          FROM auth_events WHERE ts >= ${from} GROUP BY gateway_id ORDER BY gateway_id`,
    );
    return rows.map((r) => ({
      gateway_id: r.gateway_id,
      events: Number(r.events),
      refused: Number(r.refused),
      keys: Number(r.keys),
    }));
  } finally {
    await clickhouse.close();
  }
}
