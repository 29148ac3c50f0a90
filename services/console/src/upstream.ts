import { KeywatchUnavailableError, sendRaw, type ApiName } from '@keywatch/api-client';

/** The two public APIs the console reads. */
export type UpstreamName = 'keys' | 'analytics';

export interface UpstreamResponse {
  status: number;
  body: unknown;
}

/** Calls a Keywatch API with a caller's key. An interface so that unit tests can answer in memory. */
export interface Upstream {
  call(
    target: UpstreamName,
    request: { method: string; path: string; key: string; body?: unknown },
  ): Promise<UpstreamResponse>;
}

export class UpstreamUnavailable extends Error {
  constructor(
    readonly target: UpstreamName,
    cause: unknown,
  ) {
    super(`the ${target === 'keys' ? 'key service' : 'analytics API'} did not answer`, { cause });
  }
}

const API: Record<UpstreamName, ApiName> = { keys: 'key service', analytics: 'analytics API' };

/**
 * Real HTTP calls through the API client. Only the key travels: none of the browser's headers
 * (Origin, User-Agent, cookies) is forwarded, so the upstream sees a server-side client, as it is.
 */
export function createHttpUpstream(options: {
  keyServiceUrl: string;
  analyticsUrl: string;
  timeoutMs?: number;
}): Upstream {
  const base: Record<UpstreamName, string> = { keys: options.keyServiceUrl, analytics: options.analyticsUrl };
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    async call(target, { method, path, key, body }) {
      let response;
      try {
        response = await sendRaw(
          API[target],
          { baseUrl: base[target], apiKey: key, timeoutMs },
          { method, path, body },
        );
      } catch (error) {
        throw new UpstreamUnavailable(target, error instanceof KeywatchUnavailableError ? error.cause : error);
      }
      let parsed: unknown = null;
      if (response.text !== '') {
        try {
          parsed = JSON.parse(response.text);
        } catch {
          parsed = {
            error: {
              code: 'bad_upstream_answer',
              message: `the ${target} API answered ${response.status} with a body that is not JSON`,
            },
          };
        }
      }
      return { status: response.status, body: parsed };
    },
  };
}
