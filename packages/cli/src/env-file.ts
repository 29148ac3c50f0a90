import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { repoRoot } from './repo.js';

/** The git-ignored file `keywatch keys bootstrap` writes local secrets to. */
export const envFile = path.join(repoRoot, '.env.local');

/** Adds `.env.local`'s variables to `env` where they are not already set (an explicit variable wins). */
export function loadEnvFile(env: NodeJS.ProcessEnv, file = envFile): void {
  if (!existsSync(file)) return;
  for (const [name, value] of Object.entries(parseEnv(readFileSync(file, 'utf8')))) {
    if (env[name] === undefined && value !== undefined) env[name] = value;
  }
}
