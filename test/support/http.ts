/**
 * HTTP helpers for the fuzz and resilience tests: a raw request over a socket (so header values
 * fetch would refuse — NUL, CR, bytes above 0x7f, 64 KiB values — reach the server as sent), and
 * the checks every fuzzed response must pass.
 * @module
 */
import net from 'node:net';

/** What came back: the status, the headers (lower-cased names) and the body as text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `request` (method, path, headers and an optional body, sent byte for byte) to
 * `http://127.0.0.1:<port>` with `Connection: close` and reads the response until the server
 * closes. Status 0 means the server closed without answering (only acceptable for requests the
 * HTTP parser itself refuses).
 */
export function rawRequest(
  url: string,
  request: {
    method: string;
    path: string;
    headers: ReadonlyArray<readonly [string, string | Buffer]>;
    body?: Buffer | string;
  },
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  const parts: Buffer[] = [
    Buffer.from(
      `${request.method} ${request.path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n`,
      'latin1',
    ),
  ];
  for (const [name, value] of request.headers)
    parts.push(
      Buffer.from(`${name}: `, 'latin1'),
      Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'),
      Buffer.from('\r\n'),
    );
  if (request.body !== undefined) parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
  parts.push(Buffer.from('\r\n'), body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(port), hostname);
    socket.setTimeout(30_000, () =>
      socket.destroy(new Error(`no answer within 30 s to ${request.method} ${request.path}`)),
    );
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server may close while we still write a refused request: what it answered still counts.
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    socket.on('close', () => resolve(parseResponse(Buffer.concat(chunks))));
    // Not `end()`: some servers treat a half-closed client as gone and never answer.
    socket.write(Buffer.concat(parts));
  });
}

function parseResponse(bytes: Buffer): RawResponse {
  const text = bytes.toString('utf8');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: 0, headers: {}, body: text };
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body };
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) return out;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** The error body every API of ours returns: `{ error: { code, message, field? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Parses a JSON body, or returns undefined (the caller's assertion then names the text). */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True for `{ error: { code: string, message: string } }`. */
export function isErrorBody(value: unknown): value is ErrorBody {
  const error = (value as { error?: unknown } | undefined)?.error as { code?: unknown; message?: unknown } | undefined;
  return (
    typeof error?.code === 'string' &&
    error.code.length > 0 &&
    typeof error.message === 'string' &&
    error.message.length > 0
  );
}

/** A short description of a request and response for assertion messages (bodies cut at 300 chars). */
export function describeExchange(what: string, response: { status: number; body: string }): string {
  return `${what} → ${response.status} ${response.body.slice(0, 300)}`;
}
