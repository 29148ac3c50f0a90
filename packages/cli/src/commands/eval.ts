import type { Command } from 'commander';
import { parseConfig, engineConfig } from '@keywatch/config';
import { cliLogger } from '../logger.js';
import { repoRoot } from '../repo.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .argument('<what>', 'detect: the labelled attack and benign scenarios through the real detector')
    .description('evaluation suites: per-type recall, false alerts and time-to-detect')
    .action(async (what: string) => {
      if (what !== 'detect') throw new Error(`unknown evaluation "${what}"; known: detect`);
      const config = parseConfig(engineConfig, process.env);
      // Loaded on demand: the detector brings geoip-lite's data (about 150 MB) into memory.
      const { runEvaluation } = await import('@keywatch/detector-worker');
      const report = await runEvaluation(
        { brokers: config.KAFKA_BROKERS, clickhouseUrl: config.CLICKHOUSE_URL, redisUrl: config.REDIS_URL, logger: cliLogger(process.env), repoRoot },
        { print: (line) => console.log(line) },
      );
      // Fails when an attack went unseen or a benign scenario raised an alert.
      process.exitCode = report.byType.every((t) => t.caught === t.attacks) && report.benignFalseAlerts === 0 ? 0 : 1;
    });
}
