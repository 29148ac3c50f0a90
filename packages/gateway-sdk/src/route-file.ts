import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Scope } from '@keywatch/contracts';
import { createRouteTable, type RouteTable } from './routes.js';
import { z } from 'zod';

const RoutesFile = z.strictObject({
  routes: z
    .array(
      z.strictObject({
        method: z.string().regex(/^[A-Z]+$/, 'must be an upper-case HTTP method'),
        route: z.string().regex(/^\/[^?#\s*]*$/, 'must be a template such as /v1/customers/:id'),
        scope: Scope.nullable(),
        redis_failure: z.enum(['closed', 'open']).optional(),
      }),
    )
    .min(1),
});

/** The route table shipped with the SDK: the reference gateway's demo routes and a few more. */
export const DEFAULT_ROUTES_FILE = fileURLToPath(new URL('../routes.json', import.meta.url));

/**
 * Reads and checks a route table file (`{ "routes": [{ method, route, scope, redis_failure? }] }`).
 * @param variable - the setting that named the file, for error messages
 */
export function loadRouteTable(file: string, variable = 'GATEWAY_ROUTES_FILE'): RouteTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${variable} ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const parsed = RoutesFile.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`${variable} ${file}: ${issues}`);
  }
  try {
    return createRouteTable(
      parsed.data.routes.map((r) => ({
        method: r.method,
        route: r.route,
        scope: r.scope,
        redisFailure: r.redis_failure,
      })),
    );
  } catch (error) {
    throw new Error(`${variable} ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
