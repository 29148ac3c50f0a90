import type { Scope } from '@keywatch/contracts';
import { z } from 'zod';

/** One route of a Keywatch HTTP API, as registered and as documented. */
export interface RouteSpec {
  /** Default GET. */
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  /** The scope a caller's key needs. */
  scope: Scope;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  /** Success status, default 200. */
  status?: number;
}

/** What the document says about the API as a whole, and the error answers its routes give. */
export interface ApiDescription {
  title: string;
  description: string;
  /** How callers authenticate, shown on the bearer scheme. */
  bearer: string;
  /** Error statuses and what they mean for this API. */
  errors: Array<[status: string, meaning: string]>;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string', description: 'the offending field or parameter, when one is to blame' },
      },
    },
  },
} as const;

/** What every route with a body may also answer, before it runs (`installErrorHandling`). */
const BODY_REFUSALS: Array<[status: string, meaning: string]> = [
  ['413', 'the body is over the size limit (`body_too_large`)'],
  ['415', 'the Content-Type is not application/json (`unsupported_media_type`)'],
];

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

function parametersOf(schema: z.ZodType | undefined, where: 'query' | 'path'): Array<Record<string, unknown>> {
  if (!schema) return [];
  const properties = (jsonSchema(schema).properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path',
    description: property.description,
    schema: property,
  }));
}

/** The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate them. */
export function buildOpenApi(routes: readonly RouteSpec[], api: ApiDescription): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][(route.method ?? 'GET').toLowerCase()] = {
      summary: route.summary,
      description: `Needs a secret key with \`${route.scope}\` (or the platform root key).`,
      security: [{ bearer: [] }],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } }
        : {}),
      responses: {
        [String(route.status ?? 200)]: {
          description: 'success',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        ...Object.fromEntries(
          [...api.errors, ...(route.body ? BODY_REFUSALS : [])].map(([code, description]) => [
            code,
            { description, content: { 'application/json': { schema: errorSchema } } },
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: api.title, version: '1', description: api.description },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: api.bearer } } },
    paths,
  };
}
