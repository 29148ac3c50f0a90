import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { buildOpenApi } from './openapi.js';

describe('buildOpenApi', () => {
  test('routes with a body also document the 413 and 415 refusals; routes without one do not', () => {
    const doc = buildOpenApi(
      [
        {
          method: 'POST',
          url: '/v1/things',
          scope: 'keys:manage',
          summary: 'create',
          body: z.object({ name: z.string() }),
          status: 201,
        },
        { url: '/v1/things/:id', scope: 'keys:manage', summary: 'read', params: z.object({ id: z.string() }) },
      ],
      { title: 't', description: 'd', bearer: 'b', errors: [['400', 'invalid input']] },
    ) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    expect(Object.keys(doc.paths['/v1/things']!.post!.responses)).toEqual(['201', '400', '413', '415']);
    expect(Object.keys(doc.paths['/v1/things/{id}']!.get!.responses)).toEqual(['200', '400']);
  });
});
