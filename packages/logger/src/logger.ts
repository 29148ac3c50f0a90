import { pino } from 'pino';
import type { DestinationStream, LevelWithSilent, LogFn, Logger } from 'pino';
import { CENSOR, REDACT_PATHS, redactSecrets, scrubValue } from './redact.js';

export interface LoggerOptions {
  /** Service or component name, written as `name` on every line. */
  name: string;
  /** Lowest level written; `silent` writes nothing. */
  level: LevelWithSilent;
  /** Where lines go, e.g. an in-memory stream in tests. Default: stdout. */
  destination?: DestinationStream;
}

const ERROR_KEY = 'err';

function hasError(value: unknown): value is { [ERROR_KEY]: Error } {
  return typeof value === 'object' && value !== null && ERROR_KEY in value && value[ERROR_KEY] instanceof Error;
}

/**
 * Scrubs what pino would otherwise write unchanged: the message and format arguments, and the
 * message pino takes from an Error when none is given.
 */
function scrubArgs(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const [first, ...rest] = args as unknown[];
  const scrubbed: unknown[] = [typeof first === 'string' ? redactSecrets(first) : first];
  for (const arg of rest) scrubbed.push(scrubValue(arg));
  const error = first instanceof Error ? first : hasError(first) ? first[ERROR_KEY] : undefined;
  if (error && typeof scrubbed[1] !== 'string') scrubbed.splice(1, 0, redactSecrets(error.message));
  method.apply(this, scrubbed as Parameters<LogFn>);
}

/**
 * A pino logger that keeps API keys, secrets, Authorization headers and raw payloads out of every
 * line, in four layers: pino `redact` paths (censor `[redacted]`); a depth-bounded scrub of every
 * logged object (secret-named fields at any depth, key and Bearer patterns in strings, Errors,
 * Buffers); scrubbed message arguments; and a last pattern pass over the finished line, which also
 * covers child bindings. Add `request_id`, `key_id` and `tenant_id` with `logger.child({...})`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const config = {
    name: options.name,
    level: options.level,
    errorKey: ERROR_KEY,
    redact: { paths: [...REDACT_PATHS], censor: CENSOR },
    // scrubValue has already turned Errors into plain objects; the default serializer would
    // mistake those for Errors again and relabel them `Object`.
    serializers: { [ERROR_KEY]: (value: unknown) => (value instanceof Error ? scrubValue(value) : value) },
    formatters: { log: (object: Record<string, unknown>) => scrubValue(object) as Record<string, unknown> },
    hooks: { logMethod: scrubArgs, streamWrite: redactSecrets },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
