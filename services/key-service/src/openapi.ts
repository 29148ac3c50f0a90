import type { Scope } from '@keywatch/contracts';
import { z } from 'zod';

/** One admin route, as registered and as documented. */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  scope: Scope;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** Success status, default 200. */
  status?: number;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string', description: 'the offending field, when one is to blame' } },
    },
  },
} as const;

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'query' | 'path'): Array<Record<string, unknown>> {
  if (!schema) return [];
  const properties = (jsonSchema(schema).properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === 'path', schema: property }));
}

/** The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate them. */
export function buildOpenApi(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    const status = String(route.status ?? 200);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      summary: route.summary,
      description: `Needs a secret key with \`${route.scope}\` (or the platform root key).`,
      security: [{ bearer: [] }],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses: {
        [status]: { description: 'success', content: { 'application/json': { schema: { type: 'object' } } } },
        ...Object.fromEntries(
          [['400', 'invalid input; `field` names it'], ['401', 'missing, malformed, unknown, revoked, expired or inactive key'], ['403', 'the key lacks the scope, or the resource is another tenant\'s'], ['404', 'no such key'], ['409', 'the state does not allow this change'], ['429', 'rate limited; see Retry-After']].map(([code, description]) => [
            code,
            { description, content: { 'application/json': { schema: errorSchema } } },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Keywatch key service', version: '1', description: 'The key lifecycle of CONTRACTS.md section 8. Secrets appear only in the create and rotate responses.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a secret key (sk_…) or the platform root key' } } },
    paths,
  };
}
