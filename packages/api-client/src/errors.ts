import type { ErrorBody } from './types.js';

/** Which of Keywatch's APIs a client talks to (for messages). */
export type ApiName = 'key service' | 'analytics API';

/**
 * A non-2xx answer: the contract's `{ error: { code, message, field? } }`, with the status. The
 * message names status, code and field; neither it nor any property holds the API key.
 */
export class KeywatchApiError extends Error {
  override readonly name = 'KeywatchApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    /** The API's own message. */
    readonly detail: string,
    readonly field: string | undefined,
    readonly request: { method: string; path: string },
  ) {
    super(`${status} ${code}: ${detail}${field ? ` (field ${field})` : ''}`);
  }

  /** From a parsed error body; a body without `error` gets `http_<status>` and the status text. */
  static fromBody(
    status: number,
    statusText: string,
    body: unknown,
    request: { method: string; path: string },
  ): KeywatchApiError {
    const error = isErrorBody(body) ? body.error : undefined;
    return new KeywatchApiError(
      status,
      error?.code ?? `http_${status}`,
      error?.message ?? (statusText || `status ${status}`),
      error?.field,
      request,
    );
  }
}

/** The API did not answer (connection refused, reset, timeout). */
export class KeywatchUnavailableError extends Error {
  override readonly name = 'KeywatchUnavailableError';

  constructor(
    readonly api: ApiName,
    readonly baseUrl: string,
    cause: unknown,
  ) {
    super(`the ${api} does not answer at ${baseUrl} (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error: unknown = body.error;
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof error.code === 'string' &&
    'message' in error &&
    typeof error.message === 'string'
  );
}
