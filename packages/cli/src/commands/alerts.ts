import { engineConfig, parseConfig } from '@keywatch/config';
import { topicNames } from '@keywatch/contracts';
import { createKafka } from '@keywatch/kafka';
import type { AlertsQuery, ApiAlert } from '@keywatch/api-client';
import type { Command } from 'commander';
import { formatAlert, parseSeverityFilter, useColor } from '../alerts-format.js';
import { startAlertTail } from '../alerts-tail.js';
import { analyticsFromEnv } from '../api.js';
import { cliLogger } from '../logger.js';

interface TailOptions {
  evidence?: boolean;
  json?: boolean;
  fromBeginning?: boolean;
  severity?: string;
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

const alertRow = (a: ApiAlert) => ({
  detected_at: a.detected_at,
  severity: a.severity,
  type: a.type,
  tenant: a.tenant_id ?? '-',
  key: a.key_id ?? '-',
  ip: a.ip ?? '-',
  count: a.count,
  status: a.status,
  by: a.status_actor ?? '',
  alert_id: a.alert_id,
});

/** `keywatch alerts tail|list|ack|resolve`. */
/** `env`: the CLI's environment, read once by its main (after `.env.local`). */
export function registerAlerts(program: Command, env: NodeJS.ProcessEnv): void {
  const alerts = program
    .command('alerts')
    .description(
      'security alerts: the live topic (tail) and the feed with its lifecycle (list, ack, resolve; analytics API, KEYWATCH_ANALYTICS_URL)',
    );

  alerts
    .command('list')
    .description('the alert feed, newest first (needs audit:read)')
    .option('--status <status>', 'open, acknowledged or resolved')
    .option('--type <type>', 'one alert type')
    .option('--severity <severity>', 'low, medium, high or critical')
    .option('--key <key_id>', 'alerts about one key')
    .option('--from <time>', 'detected at or after (RFC 3339)')
    .option('--to <time>', 'detected before (RFC 3339)')
    .option('--limit <n>', '1–1000, default 100')
    .option('--tenant <id>', 'root key only: one tenant')
    .option('--json', 'print the API answer as JSON')
    .action(
      async (o: {
        status?: string;
        type?: string;
        severity?: string;
        key?: string;
        from?: string;
        to?: string;
        limit?: string;
        tenant?: string;
        json?: boolean;
      }) => {
        // Option strings go as they are: the API checks them and names a bad field.
        const query = {
          status: o.status,
          type: o.type,
          severity: o.severity,
          key_id: o.key,
          from: o.from,
          to: o.to,
          limit: o.limit,
          tenant_id: o.tenant,
        } as AlertsQuery;
        const { alerts: found } = await analyticsFromEnv(env, 'audit:read').listAlerts(query);
        if (o.json) {
          console.log(JSON.stringify(found, null, 2));
          return;
        }
        console.table(found.map(alertRow));
      },
    );

  for (const [action, description] of [
    ['ack', 'acknowledge an alert: its repeats update it without notifying again'],
    ['resolve', 'resolve an alert; a repeat of the problem raises a new one'],
  ] as const) {
    alerts
      .command(action)
      .argument('<alert_id>')
      .description(description)
      .option('--note <text>', 'why (kept with the status and in the audit log)')
      .option('--json', 'print the API answer as JSON')
      .action(async (id: string, o: { note?: string; json?: boolean }) => {
        const { alert } = await analyticsFromEnv(env, 'keys:manage').transitionAlert(
          id,
          action,
          o.note !== undefined ? { note: o.note } : {},
        );
        if (o.json) {
          console.log(JSON.stringify(alert, null, 2));
          return;
        }
        console.table([alertRow(alert)]);
      });
  }

  alerts
    .command('tail')
    .description(
      'follow security-alerts from now: one line per alert (severity colour, type, tenant, key, ip, summary); repeats of an alert are shown as updates',
    )
    .option('--evidence', "print each alert's evidence as indented JSON")
    .option('--json', 'print the raw alert JSON, one per line')
    .option('--from-beginning', 'read the topic from its start, not from now')
    .option('--severity <filter>', 'only these severities: >=high, >medium, critical, or a list high,critical')
    .action(async (options: TailOptions) => {
      const keep = options.severity !== undefined ? parseSeverityFilter(options.severity) : () => true;
      const config = parseConfig(engineConfig, env);
      const logger = cliLogger(env);
      const topic = topicNames(config.KEYWATCH_TOPIC_PREFIX).securityAlerts;
      const color = useColor(process.stdout, env);
      const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'keywatch-alerts-tail', logger });
      const tail = await startAlertTail({
        kafka,
        topic,
        fromBeginning: options.fromBeginning,
        logger,
        onAlert(alert, raw, update) {
          if (!keep(alert.severity)) return;
          process.stdout.write(
            `${options.json ? raw : formatAlert(alert, { color, evidence: options.evidence, update })}\n`,
          );
        },
      });
      const signal = untilSignal();
      await Promise.race([tail.ready, signal]);
      // On stderr, so `--json` output stays pure JSON lines.
      process.stderr.write(
        `following ${topic} ${options.fromBeginning ? 'from the beginning' : 'from now'} (${config.KAFKA_BROKERS.join(',')}); Ctrl-C to stop\n`,
      );
      await signal;
      await tail.close();
    });
}
