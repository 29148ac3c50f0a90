import { z } from 'zod';

/** One route, as registered and as documented. */
export interface RouteSpec {
  url: string;
  summary: string;
  query?: z.ZodType;
  params?: z.ZodType;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string', description: 'the offending parameter, when one is to blame' } },
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
  return Object.entries(properties).map(([name, property]) => ({ name, in: where, required: where === 'path', description: property.description, schema: property }));
}

/** The OpenAPI 3.1 document of the analytics API, generated from the zod schemas that validate it. */
export function buildOpenApi(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    paths[path] = {
      get: {
        summary: route.summary,
        description: 'Needs a secret key with `analytics:read`; answers for that key\'s tenant only (the platform root key names one with `tenant_id`).',
        security: [{ bearer: [] }],
        parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
        responses: {
          '200': { description: 'success', content: { 'application/json': { schema: { type: 'object' } } } },
          ...Object.fromEntries(
            [
              ['400', 'invalid parameter (`field` names it), or a range too large for the interval (`range_too_large`)'],
              ['401', 'missing, malformed, unknown, revoked, expired or inactive key'],
              ['403', 'the key is not a secret key with analytics:read'],
              ['404', 'no such key in the caller\'s tenant'],
            ].map(([code, description]) => [code, { description, content: { 'application/json': { schema: errorSchema } } }]),
          ),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Keywatch analytics API',
      version: '1',
      description:
        'Usage analytics per key and tenant (CONTRACTS.md section 8). Ranges are half-open [from, to), widened to whole buckets (series) or whole minutes (totals); errors are requests with status >= 400.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a secret key with analytics:read' } } },
    paths,
  };
}
