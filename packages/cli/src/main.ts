import { Command } from 'commander';
import { registerStack } from './commands/stack.js';

const program = new Command('keywatch')
  .description('Keywatch: API keys, gateways, usage analytics and security monitoring')
  .showHelpAfterError();
registerStack(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`keywatch: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
