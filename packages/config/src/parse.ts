import type { z } from 'zod';
import { REQUIRED } from './fields.js';

/** The environment as `process.env` presents it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** One bad or missing variable. `reason` never contains a secret's value. */
export interface ConfigIssue {
  variable: string;
  reason: string;
}

/**
 * Thrown by {@link parseConfig}; the message lists every bad or missing variable, one per line,
 * so a misconfigured deployment is fixed in one round.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid_config';
  readonly retryable = false;

  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  ${issue.variable}: ${issue.reason}`).join('\n'),
    );
  }
}

// The project prefix is stripped first: it contains KEY but says nothing about the value.
const SENSITIVE_NAME = /SECRET|KEY|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i;
const LOOKS_LIKE_API_KEY = /(pk|sk)_(dev|live)_/;
const URL_USERINFO = /(\/\/)[^/@\s]*@/g;
const SHOWN_CHARS = 40;

/** How a bad value may appear in an error: never for secrets, otherwise truncated. */
function describeValue(variable: string, value: string): string {
  if (SENSITIVE_NAME.test(variable.replace(/^KEYWATCH_/i, '')) || LOOKS_LIKE_API_KEY.test(value)) {
    return ' (value hidden)';
  }
  const shown = value.replace(URL_USERINFO, '$1***@');
  const cut = shown.length > SHOWN_CHARS ? `${shown.slice(0, SHOWN_CHARS)}…` : shown;
  return ` (got ${JSON.stringify(cut)})`;
}

/**
 * Parses `env` with `schema` (usually from {@link defineConfig}); call once, in a service's
 * `main`, with `process.env`. Unknown variables are ignored.
 * @throws ConfigError listing every bad or missing variable.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue): ConfigIssue => {
    const variable = issue.path.map(String).join('.') || '(config)';
    const first = issue.path[0];
    const value = typeof first === 'string' ? env[first] : undefined;
    // Plain zod schemas (not our fields) report an unset variable as an invalid type.
    if (value === undefined || value.trim() === '') {
      return { variable, reason: issue.code === 'invalid_type' ? REQUIRED : issue.message };
    }
    return { variable, reason: issue.message + describeValue(variable, value) };
  });
  throw new ConfigError(issues);
}
