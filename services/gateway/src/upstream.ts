import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const BUNDLES = [
  { id: 'bundle_basic', name: 'Basic', price: { amount: 900, currency: 'EUR', interval: 'month' } },
  { id: 'bundle_pro', name: 'Pro', price: { amount: 2900, currency: 'EUR', interval: 'month' } },
  { id: 'bundle_team', name: 'Team', price: { amount: 9900, currency: 'EUR', interval: 'month' } },
];

const badRequest = (message: string) => ({ error: { code: 'invalid_request', message } });

function body(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
}

/**
 * A stand-in for the subscription platform's API (docs/contracts.md#reference-gateway): `GET /v1/bundles`,
 * `GET|POST /v1/subscriptions`, `GET /v1/customers/:id` (404 for ids starting with `missing`),
 * `POST /v1/customers`, `POST /v1/payments` (400 without a positive integer `amount`: realistic
 * 4xx for the traffic simulator), `POST /v1/campaigns`, `GET /v1/analytics/summary`, as routes
 * added to `app` (with a JSON body parser of their own, so the gateway's raw-body parser does not
 * apply to them). It trusts what is in front of it and never sees a key.
 */
export function demoRoutes(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit: 64 * 1024 },
    app.getDefaultJsonParser('error', 'ignore'),
  );
  app.get('/v1/bundles', async () => ({ bundles: BUNDLES }));
  app.get('/v1/subscriptions', async () => ({
    subscriptions: [{ id: 'sub_demo_1', bundle: 'bundle_pro', status: 'active' }],
  }));
  app.post('/v1/subscriptions', async (request, reply) => {
    const bundle = body(request.body).bundle;
    if (typeof bundle !== 'string' || !BUNDLES.some((b) => b.id === bundle))
      return reply.code(400).send(badRequest('bundle must be one of the bundle ids'));
    return reply.code(201).send({ subscription: { id: `sub_${randomUUID()}`, bundle, status: 'active' } });
  });
  app.get<{ Params: { id: string } }>('/v1/customers/:id', async (request, reply) => {
    if (request.params.id.startsWith('missing'))
      return reply.code(404).send({ error: { code: 'not_found', message: 'no such customer' } });
    return { customer: { id: request.params.id, name: 'Demo Customer', country: 'DE' } };
  });
  app.post('/v1/customers', async (_request, reply) =>
    reply.code(201).send({ customer: { id: `cus_${randomUUID()}` } }),
  );
  app.post('/v1/payments', async (request, reply) => {
    const amount = body(request.body).amount;
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0)
      return reply.code(400).send(badRequest('amount must be a positive integer (cents)'));
    return reply.code(201).send({ payment: { id: `pay_${randomUUID()}`, amount, status: 'succeeded' } });
  });
  app.post('/v1/campaigns', async (_request, reply) =>
    reply.code(201).send({ campaign: { id: `cmp_${randomUUID()}` } }),
  );
  app.get('/v1/analytics/summary', async () => ({ requests: 0, errors: 0 }));
}

/** 404 answer of the demo upstream (and of the gateway serving it). */
export const NOT_FOUND = { error: { code: 'not_found', message: 'no such route' } };
