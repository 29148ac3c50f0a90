import { LOG_LEVELS, type LogLevel } from '@keywatch/config';
import { createLogger, type Logger } from '@keywatch/logger';

/** The CLI's own logs (warnings from the engine clients) go to stderr; results go to stdout. */
export function cliLogger(env: NodeJS.ProcessEnv): Logger {
  const wanted = env.LOG_LEVEL ?? 'warn';
  const level = LOG_LEVELS.find((l) => l === wanted) ?? 'warn';
  return createLogger({ name: 'keywatch', level: level satisfies LogLevel, destination: process.stderr });
}
