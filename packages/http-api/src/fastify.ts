import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { ApiError, type ErrorBody, type RefusalStatus } from './errors.js';

/**
 * The Fastify side of the error shape of docs/contracts.md#errors `{ error: { code, message, field? } }`:
 * every refusal — by a handler, by Fastify (body, content type, URL), by Node's HTTP parser (bad
 * header bytes, headers too large, unknown method), by a CONNECT — answers in that shape, with a
 * fixed message (never the URL, a header or the body echoed back: they may hold a secret) and a
 * 4xx, never a 5xx. Use both halves: `Fastify(fastifyOptions({ … }))`, then
 * `installErrorHandling(app, { … })`.
 * @module
 */

/**
 * Longest path parameter the router accepts. Above Node's default header limit (16 KiB, which
 * covers the request line), so every id reaches its route's schema and is refused there naming
 * the parameter; Fastify's default (100) answered 414 in its own shape before the route ran.
 */
export const MAX_PARAM_LENGTH = 16 * 1024;

/** An error answer not thrown as an {@link ApiError}: status, body and extra headers. */
export interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

/** Where unexpected errors are logged (a `@keywatch/logger` Logger fits). */
export interface ErrorLog {
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ErrorHandlingOptions {
  logger: ErrorLog;
  /** Shown in the 413 message (`… at most 64 KiB`); omit when routes have limits of their own. */
  bodyLimit?: number;
  /** Answer unknown routes with 404 `not_found` (default true; false when the app sets its own). */
  notFound?: boolean;
  /** The app's own errors that are not ApiErrors (e.g. an upstream being down): an answer, or undefined. */
  translate?: (error: unknown, request: FastifyRequest) => ErrorAnswer | undefined;
  /** The message of a 500 (default: points at the x-request-id header). */
  internalMessage?: string;
}

const body = (code: string, message: string, field?: string): ErrorBody => ({
  error: { code, message, ...(field !== undefined ? { field } : {}) },
});

function sizeOf(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * What Node's HTTP parser refused, by its error code (`HPE_…`), as a status and a fixed message.
 * Exported for tests; {@link clientErrorHandler} writes it.
 */
export function clientErrorAnswer(code: string | undefined): { status: RefusalStatus | 400; body: ErrorBody } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        body: body('headers_too_large', 'the request line and headers are too large (16 KiB at most in total)'),
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT_EXCEEDED':
      return { status: 408, body: body('request_timeout', 'the request was not received in time') };
    case 'HPE_INVALID_METHOD':
      return { status: 400, body: body('invalid_request', 'unknown HTTP method') };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_HEADER_VALUE':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return {
        status: 400,
        body: body(
          'invalid_request',
          'a header name or value holds a forbidden character (NUL, CR, LF or a control character)',
        ),
      };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return {
        status: 400,
        body: body(
          'invalid_request',
          'invalid Content-Length (not a number, repeated, or sent with Transfer-Encoding)',
        ),
      };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, body: body('invalid_request', 'invalid Transfer-Encoding or chunked body') };
    case 'HPE_INVALID_URL':
      return { status: 400, body: body('invalid_request', 'invalid request target (URL)') };
    case 'HPE_INVALID_VERSION':
      return { status: 400, body: body('invalid_request', 'unsupported HTTP version') };
    default:
      return { status: 400, body: body('invalid_request', 'malformed HTTP request') };
  }
}

function writeAndClose(socket: Socket, status: number, answer: ErrorBody, extra = ''): void {
  if (socket.writable) {
    const text = JSON.stringify(answer);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n${extra}Connection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

/** Fastify's `clientErrorHandler`: what Node's parser refused, in our error shape (see {@link clientErrorAnswer}). */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer (as in Fastify's own handler).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, body: answer } = clientErrorAnswer(error.code);
  writeAndClose(socket, status, answer);
}

/** Fastify's `frameworkErrors`: the router's refusals (bad percent-encoding, an overlong parameter), before any route. */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const { status, body: answer } = fastifyErrorAnswer(error, undefined);
  void reply.status(status).send(answer);
}

/**
 * The options every Keywatch HTTP API builds Fastify with, merged over `options`: the router takes
 * long path parameters (so schemas name them), and the parser's and router's refusals answer in
 * our shape.
 */
export function fastifyOptions<T extends FastifyServerOptions>(options: T): T & FastifyServerOptions {
  return {
    ...options,
    routerOptions: { ...options.routerOptions, maxParamLength: MAX_PARAM_LENGTH },
    clientErrorHandler,
    frameworkErrors,
  };
}

/**
 * Fastify's own 4xx errors as answers of ours. Messages are fixed: Fastify's may quote the URL,
 * and a JSON parser's the body.
 */
export function fastifyErrorAnswer(
  error: { code?: string; statusCode?: number },
  bodyLimit: number | undefined,
): { status: number; body: ErrorBody } {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        status: 400,
        body: body(
          'invalid_json',
          'the body is not valid JSON (or holds a __proto__ or constructor.prototype key)',
          'body',
        ),
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: body('invalid_json', 'the body is empty but Content-Type says application/json', 'body'),
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: body(
          'body_too_large',
          `the body is too large${bodyLimit === undefined ? '' : ` (${sizeOf(bodyLimit)} at most)`}`,
          'body',
        ),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: body(
          'unsupported_media_type',
          'unsupported Content-Type; send the body as application/json',
          'content-type',
        ),
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        body: body('invalid_request', 'the body size does not match Content-Length', 'content-length'),
      };
    case 'FST_ERR_BAD_URL':
      return { status: 400, body: body('invalid_request', 'the URL path holds invalid percent-encoding') };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        status: 400,
        body: body('invalid_request', `a path parameter is too long (${MAX_PARAM_LENGTH} characters at most)`),
      };
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return { status: 400, body: body('invalid_request', 'the request matches no route constraint') };
  }
  const status =
    typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  return {
    status,
    body: body('invalid_request', `the request was refused (${STATUS_CODES[status] ?? 'bad request'})`),
  };
}

/**
 * Sets the error handler (ApiError → its answer; `translate`'s answers; Fastify's 4xx → ours; the
 * rest → a logged 500 without details) and, unless `notFound: false`, the 404 handler, which names
 * the method but not the path. Also answers CONNECT (Node would drop the connection
 * without a word) with 405.
 */
export function installErrorHandling(app: FastifyInstance, options: ErrorHandlingOptions): void {
  const internalMessage = options.internalMessage ?? 'internal error; the request id is in the x-request-id header';
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof ApiError) return reply.status(error.status).headers(error.headers).send(error.toBody());
    const translated = options.translate?.(error, request);
    if (translated)
      return reply
        .status(translated.status)
        .headers(translated.headers ?? {})
        .send(translated.body);
    const fastifyError = error as { statusCode?: number; code?: string };
    if (
      typeof fastifyError.statusCode === 'number' &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500
    ) {
      const { status, body: answer } = fastifyErrorAnswer(fastifyError, options.bodyLimit);
      return reply.status(status).send(answer);
    }
    options.logger.error({ err: error, request_id: request.id, route: request.routeOptions.url }, 'unexpected error');
    return reply.status(500).send(body('internal', internalMessage));
  });
  if (options.notFound ?? true) {
    app.setNotFoundHandler((request, reply) => {
      // Not the path itself: an id in it may be a pasted secret.
      return reply.status(404).send(body('not_found', `no route ${request.method} for this path`));
    });
  }
  app.server.on('connect', (_request: unknown, socket: Socket) => {
    writeAndClose(
      socket,
      405,
      body('method_not_allowed', 'CONNECT is not supported'),
      'Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n',
    );
  });
}
