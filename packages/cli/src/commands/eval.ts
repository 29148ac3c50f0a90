import type { Command } from 'commander';
import { parseConfig, engineConfig } from '@keywatch/config';
import { cliLogger } from '../logger.js';
import { repoRoot } from '../repo.js';

const SETS = ['all', 'own', 'independent'] as const;

export function registerEval(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('eval')
    .argument('<what>', 'detect: the labelled attack and benign scenarios through the real detector')
    .option(
      '--set <set>',
      `which labelled set: ${SETS.join(', ')} (own: the suite the detectors were written with; independent: a second set written against the issue and the contracts)`,
      'all',
    )
    .description('evaluation suites: per-type recall, false alerts and time-to-detect')
    .action(async (what: string, options: { set: string }) => {
      if (what !== 'detect') throw new Error(`unknown evaluation "${what}"; known: detect`);
      if (!(SETS as readonly string[]).includes(options.set))
        throw new Error(`unknown set "${options.set}"; known: ${SETS.join(', ')}`);
      const config = parseConfig(engineConfig, env);
      // Loaded on demand: the detector brings geoip-lite's data (about 150 MB) into memory.
      const { runEvaluation } = await import('@keywatch/bench/eval');
      const engines = {
        brokers: config.KAFKA_BROKERS,
        clickhouseUrl: config.CLICKHOUSE_URL,
        redisUrl: config.REDIS_URL,
        logger: cliLogger(env),
        repoRoot,
      };
      const sets = (['own', 'independent'] as const).filter((s) => options.set === 'all' || options.set === s);
      let ok = true;
      for (const [i, set] of sets.entries()) {
        if (i > 0) console.log('');
        const report = await runEvaluation(engines, { set, print: (line) => console.log(line) });
        // Fails when an attack went unseen or a benign scenario raised an alert.
        ok &&= report.byType.every((t) => t.caught === t.attacks) && report.benignFalseAlerts === 0;
      }
      process.exitCode = ok ? 0 : 1;
    });
}
