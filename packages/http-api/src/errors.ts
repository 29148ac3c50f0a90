import type { Issue } from '@keywatch/contracts';

/** The statuses docs/contracts.md#errors allows for errors (shared by every Keywatch HTTP API). */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 422 | 429;

/**
 * Statuses for requests refused at the protocol level, before a route runs (see `fastify.ts`):
 * method not allowed, timeout, body too large, URI too long, media type, headers too large.
 */
export type RefusalStatus = 405 | 408 | 413 | 414 | 415 | 431;

/** The body of every error answer: `{ error: { code, message, field? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/**
 * An error the API answers with `{ error: { code, message, field? } }`. The one place that maps
 * codes to statuses is the constructor's caller: each factory below names its status.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly retryable = false;

  constructor(
    readonly status: ErrorStatus | RefusalStatus,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) },
    };
  }
}

/** 400 naming the first bad field; the message lists every issue. */
export function invalidInput(issues: readonly Issue[]): ApiError {
  const first = issues[0];
  const message = issues.map((i) => (i.field ? `${i.field}: ${i.reason}` : i.reason)).join('; ');
  return new ApiError(400, 'invalid_request', message || 'invalid request', first?.field || undefined);
}

export const badRequest = (message: string, field?: string) => new ApiError(400, 'invalid_request', message, field);
export const unauthorized = (code: string, message: string) => new ApiError(401, code, message);
export const forbidden = (code: string, message: string, field?: string) => new ApiError(403, code, message, field);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
