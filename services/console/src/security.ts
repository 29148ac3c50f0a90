/**
 * Security headers of every answer. The single-page app loads only its own files: no inline
 * script or style elements, no eval, no third-party origin; styles set through the DOM (React's
 * `style` prop) are not markup and stay allowed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

/** Methods that change something and therefore need the same-origin check. */
export const UNSAFE_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * CSRF rule for unsafe methods, on top of the SameSite=Strict cookie: the browser's `Origin` must
 * be the console's own origin (browsers always send it on cross-origin and on same-origin POST,
 * PUT, PATCH and DELETE requests), and the body, when there is one, must be JSON (a form cannot
 * send that without a CORS preflight, which this server never grants).
 */
export function csrfProblem(input: {
  method: string;
  origin: string | undefined;
  expectedOrigin: string;
  contentType: string | undefined;
  hasBody: boolean;
}): string | null {
  if (!UNSAFE_METHODS.has(input.method)) return null;
  if (input.origin === undefined) return 'the Origin header is missing';
  if (input.origin !== input.expectedOrigin) return `requests must come from ${input.expectedOrigin}`;
  if (input.hasBody && !/^application\/json\b/i.test(input.contentType ?? ''))
    return 'the body must be application/json';
  return null;
}
