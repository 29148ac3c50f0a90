import {
  createAnalyticsClient,
  createKeyServiceClient,
  KeywatchUnavailableError,
  type AnalyticsClient,
  type KeyServiceClient,
} from '@keywatch/api-client';

type Env = Readonly<Record<string, string | undefined>>;

/** `KEYWATCH_API_KEY`, else `KEYWATCH_ROOT_KEY`; `needs` says which scope the command needs. */
function apiKey(env: Env, needs: string, hint = ''): string {
  const token = env.KEYWATCH_API_KEY ?? env.KEYWATCH_ROOT_KEY;
  if (!token) throw new Error(`set KEYWATCH_API_KEY (a secret key with ${needs}) or KEYWATCH_ROOT_KEY${hint}`);
  return token;
}

/** The key service at `KEYWATCH_KEY_SERVICE_URL` (default `http://127.0.0.1:8080`). */
export function keyServiceFromEnv(env: Env, needs: string, hint?: string): KeyServiceClient {
  return createKeyServiceClient({
    baseUrl: env.KEYWATCH_KEY_SERVICE_URL ?? 'http://127.0.0.1:8080',
    apiKey: apiKey(env, needs, hint),
  });
}

/** The analytics API at `KEYWATCH_ANALYTICS_URL` (default `http://127.0.0.1:8081`). */
export function analyticsFromEnv(env: Env, needs: string): AnalyticsClient {
  return createAnalyticsClient({
    baseUrl: env.KEYWATCH_ANALYTICS_URL ?? 'http://127.0.0.1:8081',
    apiKey: apiKey(env, needs),
  });
}

const RUN_HINT = { 'key service': 'key-service', 'analytics API': 'analytics-api' } as const;

/** The message the CLI prints for a failed command; an API that does not answer gets how to start it. */
export function errorMessage(error: unknown): string {
  if (error instanceof KeywatchUnavailableError)
    return `${error.message}; start it with \`keywatch run ${RUN_HINT[error.api]}\``;
  return error instanceof Error ? error.message : String(error);
}
