import { KeywatchApiError, KeywatchUnavailableError, type ApiName } from './errors.js';

/** How to reach one of Keywatch's APIs. */
export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never part of an error. */
  apiKey: string;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Per-request timeout; default none. */
  timeoutMs?: number;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RawRequest {
  method: string;
  /** Path, with its query string if any, e.g. `/v1/keys?status=active`. */
  path: string;
  query?: Query;
  /** Sent as JSON when defined. */
  body?: unknown;
}

/** An answer as it came: status and body text. */
export interface RawResponse {
  status: number;
  statusText: string;
  text: string;
}

/**
 * One HTTP call with the key and nothing else of the caller's (no cookies, origin or user agent
 * travel), for a proxy that passes answers on. Throws {@link KeywatchUnavailableError} when
 * nothing answers; any status is returned.
 */
export async function sendRaw(api: ApiName, options: ClientOptions, request: RawRequest): Promise<RawResponse> {
  const url = new URL(request.path, options.baseUrl);
  for (const [name, value] of Object.entries(request.query ?? {}))
    if (value !== undefined) url.searchParams.set(name, String(value));
  const doFetch = options.fetch ?? fetch;
  try {
    const response = await doFetch(url, {
      method: request.method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
    });
    return { status: response.status, statusText: response.statusText, text: await response.text() };
  } catch (error) {
    throw new KeywatchUnavailableError(api, options.baseUrl, error);
  }
}

/** A JSON call: the parsed body on 2xx (undefined when empty), else a {@link KeywatchApiError}. */
export async function sendJson<T>(api: ApiName, options: ClientOptions, request: RawRequest): Promise<T> {
  const response = await sendRaw(api, options, request);
  let body: unknown;
  try {
    body = response.text === '' ? undefined : JSON.parse(response.text);
  } catch {
    body = undefined;
    if (response.status < 400)
      throw new KeywatchApiError(
        response.status,
        'bad_answer',
        `the ${api} answered ${response.status} with a body that is not JSON`,
        undefined,
        { method: request.method, path: request.path },
      );
  }
  if (response.status >= 400)
    throw KeywatchApiError.fromBody(response.status, response.statusText, body, {
      method: request.method,
      path: request.path,
    });
  return body as T;
}
