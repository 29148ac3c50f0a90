import { Command } from 'commander';
import { errorMessage } from './api.js';
import { registerAlerts } from './commands/alerts.js';
import { registerAnalytics } from './commands/analytics.js';
import { registerBench } from './commands/bench.js';
import { registerDemo } from './commands/demo.js';
import { registerEval } from './commands/eval.js';
import { registerKeys } from './commands/keys.js';
import { registerLeaks } from './commands/leaks.js';
import { registerMigrate } from './commands/migrate.js';
import { registerRequests } from './commands/requests.js';
import { registerRun } from './commands/run.js';
import { registerSim } from './commands/sim.js';
import { registerStack } from './commands/stack.js';
import { registerTest } from './commands/test.js';
import { registerWebhooks } from './commands/webhooks.js';
import { loadEnvFile } from './env-file.js';

const program = new Command('keywatch')
  .description('Keywatch: API keys, gateways, usage analytics and security monitoring')
  .showHelpAfterError();
registerStack(program, process.env);
registerMigrate(program, process.env);
registerRun(program, process.env);
registerDemo(program, process.env);
registerTest(program, process.env);
registerKeys(program, process.env);
registerSim(program, process.env);
registerEval(program, process.env);
registerAnalytics(program, process.env);
registerAlerts(program, process.env);
registerRequests(program, process.env);
registerWebhooks(program, process.env);
registerLeaks(program, process.env);
registerBench(program, process.env);

// Local secrets from `keywatch keys bootstrap`; an explicit environment variable wins.
loadEnvFile(process.env);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`keywatch: ${errorMessage(error)}`);
  process.exitCode = 1;
}
