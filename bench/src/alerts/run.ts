import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicNames } from '@keywatch/contracts';
import type { Logger } from '@keywatch/logger';
import { startAlertPipeline } from '@keywatch/e2e/alert-pipeline';
import { createRedis } from '@keywatch/redis';
import { ephemeralTarget } from '@keywatch/testkit/support';

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface AlertsBenchReport {
  runs: number;
  /** From the attack's first request at the gateway to the signed alert's arrival at the receiver. */
  endToEnd: LatencySummary;
  /** Baseline, same run: an alert produced straight to security-alerts → receiver (notifier only). */
  notifierOnly: LatencySummary;
  /** endToEnd.p50 / notifierOnly.p50. */
  p50Ratio: number;
  /** Deliveries whose signature the shipped verifier refused (should be 0). */
  badSignatures: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;

function summarise(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? 0,
  };
}

/**
 * `keywatch bench alerts`: `runs` times, a secret key sent with a fresh browser Origin through the
 * reference gateway (→ auth-events → detector → security-alerts → notifier → local receiver), and
 * as a baseline in the same run the same number of alerts produced straight to security-alerts.
 * Prints and returns p50/p99 (target: end-to-end p99 < 3 s). Attacks run one after another, so
 * each measures the path, not a queue; the per-destination rate limit is lifted for the run (with the
 * default 60/min, deliveries beyond a burst of 60 wait ~1 s each). Throwaway topics, ClickHouse
 * database and Redis prefix.
 */
export async function runAlertsBench(
  engines: { brokers: string[]; clickhouseUrl: string; redisUrl: string; logger: Logger; repoRoot?: string },
  options: { runs?: number; print?: (line: string) => void } = {},
): Promise<AlertsBenchReport> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const runs = options.runs ?? 30;
  const repoRoot = engines.repoRoot ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const { target, dispose } = await ephemeralTarget({ ...engines, repoRoot }, 3);
  const redis = createRedis({ url: engines.redisUrl, keyPrefix: target.redisPrefix, connectionName: 'bench-alerts' });
  try {
    const pipeline = await startAlertPipeline(
      {
        kafka: {
          brokers: target.brokers,
          kafka: target.kafka,
          prefix: target.topicPrefix,
          topics: topicNames(target.topicPrefix),
          provision: async () => undefined,
        },
        redis: { url: engines.redisUrl, prefix: target.redisPrefix, client: redis },
        clickhouse: { url: engines.clickhouseUrl, database: target.database },
        logger: engines.logger,
        repoRoot,
      },
      {
        // The per-destination limit (default 60/min) is a deliberate throttle; this measures the path.
        notifierEnv: { NOTIFIER_RATE_LIMIT: '100000' },
      },
    );
    try {
      // Warm-up: first connections, consumer joins, JIT.
      await pipeline.attack(0, 120_000);
      await pipeline.direct(0, 60_000);
      const endToEnd: number[] = [];
      const direct: number[] = [];
      let badSignatures = 0;
      for (let i = 1; i <= runs; i++) {
        const a = await pipeline.attack(i);
        const d = await pipeline.direct(i);
        endToEnd.push(a.latencyMs);
        direct.push(d.latencyMs);
        if (!a.signatureValid || !d.signatureValid) badSignatures += 1;
        if (i % 10 === 0) print(`  ${i}/${runs} runs`);
      }
      const report: AlertsBenchReport = {
        runs,
        endToEnd: summarise(endToEnd),
        notifierOnly: summarise(direct),
        p50Ratio: 0,
        badSignatures,
      };
      report.p50Ratio = Math.round((report.endToEnd.p50Ms / Math.max(1, report.notifierOnly.p50Ms)) * 100) / 100;
      print(`alerts: ${runs} attacks, one at a time`);
      print(
        `  end to end (gateway request → signed webhook received): p50 ${report.endToEnd.p50Ms} ms, p99 ${report.endToEnd.p99Ms} ms, max ${report.endToEnd.maxMs} ms (target p99 < 3000 ms)`,
      );
      print(
        `  baseline (alert produced → webhook received):         p50 ${report.notifierOnly.p50Ms} ms, p99 ${report.notifierOnly.p99Ms} ms, max ${report.notifierOnly.maxMs} ms`,
      );
      print(`  end-to-end / baseline p50: ${report.p50Ratio}×; bad signatures: ${badSignatures}`);
      return report;
    } finally {
      await pipeline.close();
    }
  } finally {
    redis.disconnect();
    await dispose();
  }
}
