/**
 * `keywatch bench alerts`: from an attack's first request at the reference gateway to the signed
 * alert arriving at a webhook receiver (gateway → auth-events → detector → security-alerts →
 * notifier → receiver), against the notifier alone (an alert produced straight to the topic) in
 * the same run. The measurement itself lives with the notifier (`@keywatch/notifier/bench`).
 * @module
 */
import type { EngineConfig } from '@keywatch/config';
import { createLogger } from '@keywatch/logger';
import type { SuiteResult } from './keys.js';
import { figure } from './report.js';

export async function benchAlerts(options: {
  config: EngineConfig;
  quick: boolean;
  runs?: number;
  progress: (line: string) => void;
}): Promise<SuiteResult> {
  const { runAlertsBench } = await import('./alerts/run.js');
  // Attacks run one after another; each run is one sample (with --quick a few, to check the path).
  const samples = options.quick ? 3 : 30 * (options.runs ?? 1);
  const report = await runAlertsBench(
    {
      brokers: options.config.KAFKA_BROKERS,
      clickhouseUrl: options.config.CLICKHOUSE_URL,
      redisUrl: options.config.REDIS_URL,
      logger: createLogger({ name: 'bench-alerts', level: 'warn' }),
    },
    { runs: samples, print: options.progress },
  );
  const baseline = (name: string, value: number) => ({ name: `notifier alone ${name}`, value });
  return {
    figures: [
      figure('attack → signed webhook p50', report.endToEnd.p50Ms, 'ms', {
        baseline: baseline('p50', report.notifierOnly.p50Ms),
      }),
      figure('attack → signed webhook p99', report.endToEnd.p99Ms, 'ms', {
        baseline: baseline('p99', report.notifierOnly.p99Ms),
        target: { below: 3000 },
      }),
      figure('deliveries with a bad signature', report.badSignatures, 'count', { target: { below: 1 } }),
    ],
    notes: { samples: report.runs, endToEnd: report.endToEnd, notifierOnly: report.notifierOnly },
  };
}
