// Screenshots of every console page into docs/console/ (see services/console/README.md):
//   node --import tsx tools/console-screenshots/src/main.ts
// With CONSOLE_URL and KEYWATCH_CONSOLE_KEY set it shoots that running console; otherwise it starts
// the whole system on the local engines with throwaway topics and sends demo traffic through it.
import { runScreenshots } from './screenshots.js';

runScreenshots(process.env).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`screenshots: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
