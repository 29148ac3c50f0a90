/** The two public APIs the console reads. */
export type UpstreamName = 'keys' | 'analytics';

export interface UpstreamResponse {
  status: number;
  body: unknown;
}

/** Calls a Keywatch API with a caller's key. An interface so that unit tests can answer in memory. */
export interface Upstream {
  call(target: UpstreamName, request: { method: string; path: string; key: string; body?: unknown }): Promise<UpstreamResponse>;
}

export class UpstreamUnavailable extends Error {
  constructor(readonly target: UpstreamName, cause: unknown) {
    super(`the ${target === 'keys' ? 'key service' : 'analytics API'} did not answer`, { cause });
  }
}

/**
 * Real HTTP calls. Only the key travels: none of the browser's headers (Origin, User-Agent,
 * cookies) is forwarded, so the upstream sees a server-side client, as it is.
 */
export function createHttpUpstream(options: { keyServiceUrl: string; analyticsUrl: string; timeoutMs?: number }): Upstream {
  const base: Record<UpstreamName, string> = { keys: options.keyServiceUrl, analytics: options.analyticsUrl };
  const timeoutMs = options.timeoutMs ?? 15_000;
  return {
    async call(target, { method, path, key, body }) {
      let response: Response;
      try {
        response = await fetch(new URL(path, base[target]), {
          method,
          headers: { authorization: `Bearer ${key}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new UpstreamUnavailable(target, error);
      }
      const text = await response.text();
      let parsed: unknown = null;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = { error: { code: 'bad_upstream_answer', message: `the ${target} API answered ${response.status} with a body that is not JSON` } };
        }
      }
      return { status: response.status, body: parsed };
    },
  };
}
