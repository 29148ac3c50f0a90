import { decodeJson, GithubLeakReport, LeakReportBody, newEventId, type GithubLeakFeedback } from '@keywatch/contracts';
import { ApiError, invalidInput, type RouteSpec } from '@keywatch/http-api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, type Caller, type KeyAdmin } from '../admin.js';
import { TenantId } from '../schemas.js';
import { LeakAction, type TenantSettings } from '../settings.js';
import type { GithubSignatureVerifier } from './github-keys.js';
import type { LeakIntake } from './intake.js';

/** What the leak and hygiene routes need. */
export interface LeakRoutesDependencies {
  intake: LeakIntake;
  settings: TenantSettings;
  /** GitHub's public keys; null: `POST /v1/leaks/github` answers 422 `not_configured`. */
  github: GithubSignatureVerifier | null;
}

type Route = (
  spec: RouteSpec,
  handler: (request: FastifyRequest, caller: Caller) => Promise<{ status?: number; body: unknown }>,
) => void;
type Parse = <S extends z.ZodType>(schema: S, input: unknown) => z.output<S>;

/** GitHub batches matches; 1 MiB holds thousands of them and refuses a 1 MB token by size alone. */
export const GITHUB_BODY_LIMIT = 1024 * 1024;
/** Who GitHub reports are audited as. */
export const GITHUB_REPORTER = 'github:secret-scanning';

const TenantQuery = z.strictObject({ tenant_id: TenantId.optional() });
const LeakPolicyBody = z
  .strictObject({ tenant_id: TenantId.optional(), secret: LeakAction.optional(), publishable: LeakAction.optional() })
  .refine((b) => b.secret !== undefined || b.publishable !== undefined, 'give secret or publishable');
const HygieneBody = z
  .strictObject({
    tenant_id: TenantId.optional(),
    key_expiring: z.boolean().optional(),
    rotation_grace_ending: z.boolean().optional(),
    key_unused_days: z.int().min(0).max(3650).optional(),
  })
  .refine(
    (b) => b.key_expiring !== undefined || b.rotation_grace_ending !== undefined || b.key_unused_days !== undefined,
    'give at least one setting',
  );

/**
 * `POST /v1/leaks/github` (GitHub's secret scanning partner protocol, signature checked before the
 * body is even parsed), `POST /v1/leaks`, and the tenant's leak policy and hygiene settings.
 */
export function registerLeakRoutes(options: {
  app: FastifyInstance;
  route: Route;
  parse: Parse;
  admin: KeyAdmin;
  limitByAddress: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  deps: LeakRoutesDependencies;
}): void {
  const { app, route, parse, admin, deps } = options;

  // Its own scope: the raw bytes are what GitHub signed, so no JSON parser may run first.
  void app.register(async (github) => {
    github.removeAllContentTypeParsers();
    github.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: GITHUB_BODY_LIMIT }, (_request, body, done) => {
      done(null, body);
    });
    github.post('/v1/leaks/github', { bodyLimit: GITHUB_BODY_LIMIT }, async (request, reply) => {
      await options.limitByAddress(request, reply);
      if (!deps.github)
        throw new ApiError(
          422,
          'not_configured',
          'GitHub secret scanning is not configured (KEYWATCH_GITHUB_SCANNING_KEYS_FILE)',
        );
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const keyId = header(request, 'github-public-key-identifier');
      const signature = header(request, 'github-public-key-signature');
      if (!deps.github.verify(body, keyId, signature)) {
        request.keywatch.outcome = 'missing_key';
        throw new ApiError(
          401,
          'invalid_signature',
          'Github-Public-Key-Signature is missing or is not a signature of this body by the key named in Github-Public-Key-Identifier',
        );
      }
      const decoded = decodeJson(GithubLeakReport, body);
      if (!decoded.ok) throw invalidInput(decoded.issues);
      const matches = decoded.value;
      const verdicts = await deps.intake.reportTokens(matches, GITHUB_REPORTER);
      const feedback: GithubLeakFeedback[] = matches.map((match, i) => ({
        token_raw: match.token,
        token_type: match.type,
        label: verdicts[i]?.label ?? 'false_positive',
      }));
      return reply.status(200).send(feedback);
    });
  });

  route(
    {
      method: 'POST',
      url: '/v1/leaks',
      scope: 'keys:manage',
      summary:
        'Report a key (by token or id) found in public; a live key raises key_leaked and is acted on by the leak policy',
      body: LeakReportBody,
      status: 202,
    },
    async (request, caller) => {
      const body = parse(LeakReportBody, request.body);
      const finding = { source: body.source, url: body.url ?? '', note: body.note };
      const reporter = actorOf(caller);
      const verdict =
        body.key_id !== undefined
          ? await deps.intake.reportKey(await admin.owned(caller, body.key_id), finding, reporter)
          : ((
              await deps.intake.reportTokens(
                [{ ...finding, token: body.token ?? '' }],
                reporter,
                // Another tenant's key is answered like an unknown one: no oracle for other tenants.
                (key) => caller.kind === 'root' || key.tenant_id === caller.key.tenant_id,
              )
            )[0] ?? { label: 'false_positive', key_id: null, leak_id: null });
      return {
        status: 202,
        body: { leak_id: verdict.leak_id ?? `leak_${newEventId()}`, key_id: verdict.key_id, label: verdict.label },
      };
    },
  );

  route(
    {
      method: 'GET',
      url: '/v1/leaks/policy',
      scope: 'keys:manage',
      summary: "The tenant's leak policy: what a confirmed leak does to secret and publishable keys",
      query: TenantQuery,
    },
    async (request, caller) => {
      const tenant = admin.tenantFor(caller, parse(TenantQuery, request.query).tenant_id);
      return { body: { policy: { tenant_id: tenant, ...(await deps.settings.leakPolicy(tenant)) } } };
    },
  );
  route(
    {
      method: 'PUT',
      url: '/v1/leaks/policy',
      scope: 'keys:manage',
      summary: "Set the tenant's leak policy (revoke, suspend or notify_only per key type)",
      body: LeakPolicyBody,
    },
    async (request, caller) => {
      const { tenant_id, ...change } = parse(LeakPolicyBody, request.body);
      const tenant = admin.tenantFor(caller, tenant_id);
      return {
        body: {
          policy: { tenant_id: tenant, ...(await deps.settings.setLeakPolicy(tenant, change, actorOf(caller))) },
        },
      };
    },
  );
  route(
    {
      method: 'GET',
      url: '/v1/hygiene',
      scope: 'keys:manage',
      summary: "The tenant's key hygiene settings",
      query: TenantQuery,
    },
    async (request, caller) => {
      const tenant = admin.tenantFor(caller, parse(TenantQuery, request.query).tenant_id);
      return { body: { settings: { tenant_id: tenant, ...(await deps.settings.hygiene(tenant)) } } };
    },
  );
  route(
    {
      method: 'PUT',
      url: '/v1/hygiene',
      scope: 'keys:manage',
      summary: "Set the tenant's key hygiene settings",
      body: HygieneBody,
    },
    async (request, caller) => {
      const { tenant_id, ...change } = parse(HygieneBody, request.body);
      const tenant = admin.tenantFor(caller, tenant_id);
      return {
        body: {
          settings: { tenant_id: tenant, ...(await deps.settings.setHygiene(tenant, change, actorOf(caller))) },
        },
      };
    },
  );
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
