import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { repoRoot } from '../repo.js';
import { runNode } from './run.js';

function positiveInt(value: string): string {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return value;
}

interface SimOptions {
  gateway?: string;
  rate?: string;
  duration?: string;
  day?: string;
  tenants?: string;
  keys?: string;
  attacks?: string;
  sequential?: boolean;
  environment?: string;
  events?: string;
  backfill?: string;
  seed?: string;
}

export function registerSim(program: Command, environment: NodeJS.ProcessEnv): void {
  program
    .command('sim')
    .argument('[mode]', 'http (requests through the gateway) or kafka (auth events straight to Kafka)', 'http')
    .description(
      'traffic simulator: tenants and keys through the key service, realistic traffic and named attacks through the gateway (which must trust X-Forwarded-For), or synthetic events at a target rate for benchmarks',
    )
    .option('--gateway <url>', 'gateway address (SIM_GATEWAY_URL, default http://127.0.0.1:8088)')
    .option('--rate <n>', 'http: peak requests/s; kafka: events/s (default 50)', positiveInt)
    .option('--duration <d>', 'http: how long, e.g. 60s, 10m (default 60s)')
    .option('--day <d>', 'length of a simulated day for the diurnal curve (default 24h)')
    .option('--tenants <n>', 'tenants to create (default 5)', positiveInt)
    .option('--keys <n>', 'secret keys per tenant (default 3)', positiveInt)
    .option(
      '--attacks <list>',
      'comma-separated: enumeration, brute_force, secret_in_browser, impossible_travel, revoked_key, rate_limit, volume_spike, or all',
    )
    .option('--sequential', 'http: the attacks one after another (after a warm-up of normal traffic), not all at once')
    .option('--environment <env>', "dev or live: the gateway's environment (default live)")
    .option('--events <n>', 'kafka: events in all (default 10000)', positiveInt)
    .option('--backfill <d>', 'kafka: event times start this far back, e.g. 168h (default 0)')
    .option('--seed <n>', 'random seed (default 1)', positiveInt)
    .action(async (mode: string, options: SimOptions) => {
      const all = 'enumeration,brute_force,secret_in_browser,impossible_travel,revoked_key,rate_limit,volume_spike';
      const env: NodeJS.ProcessEnv = { ...environment, SIM_MODE: mode };
      const set = (name: string, value: string | undefined) => {
        if (value !== undefined) env[name] = value;
      };
      set('SIM_GATEWAY_URL', options.gateway);
      set('SIM_RATE', options.rate);
      set('SIM_DURATION', options.duration);
      set('SIM_DAY_LENGTH', options.day);
      set('SIM_TENANTS', options.tenants);
      set('SIM_KEYS_PER_TENANT', options.keys);
      set('SIM_ATTACKS', options.attacks === 'all' ? all : options.attacks);
      set('SIM_SEQUENTIAL', options.sequential ? 'true' : undefined);
      set('SIM_ENVIRONMENT', options.environment);
      set('SIM_EVENTS', options.events);
      set('SIM_BACKFILL', options.backfill);
      set('SIM_SEED', options.seed);
      process.exitCode = await runNode(path.join(repoRoot, 'services/traffic-sim/src/main.ts'), [], env);
    });
}
