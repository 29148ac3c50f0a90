import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKey } from '@keywatch/contracts';
import type { ApiKey, KeyEnvironment, KeyState, KeyType } from '@keywatch/api-client';
import type { Command } from 'commander';
import { keyServiceFromEnv } from '../api.js';
import { envFile } from '../env-file.js';

const SECRET_WARNING =
  'Store this secret now (a secret manager, not a file in a repo): Keywatch keeps only its hash and will never show it again.';

function printKeys(keys: ApiKey[]): void {
  console.table(
    keys.map((k) => ({
      id: k.id,
      tenant: k.tenant_id,
      key: `${k.prefix}…${k.last4}`,
      name: k.name,
      state: k.state,
      scopes: k.scopes.join(' '),
      expires: k.expires_at ?? '',
      last_used: k.last_used_at ?? '',
    })),
  );
}

function printSecret(secret: string): void {
  console.log(`\nsecret: ${secret}\n\n⚠ ${SECRET_WARNING}`);
}

/** The local secrets `keywatch keys bootstrap` writes, and how to make each. */
const LOCAL_SECRETS: ReadonlyArray<[name: string, make: () => string]> = [
  ['KEYWATCH_ROOT_KEY', () => generateKey({ type: 'secret', environment: 'live' })],
  ['KEYWATCH_FINGERPRINT_SECRET', () => randomBytes(32).toString('hex')],
  ['KEYWATCH_SECRETS_KEY', () => randomBytes(32).toString('hex')],
];

/**
 * Makes sure the local secrets exist (for `keywatch demo` on a fresh clone): those neither in
 * `env` nor in `.env.local` are generated and appended to `.env.local` (created with mode 600),
 * and set in `env`. Returns the names it generated; never prints a value.
 */
export function ensureLocalSecrets(env: NodeJS.ProcessEnv, file = envFile): string[] {
  const missing = LOCAL_SECRETS.filter(([name]) => !env[name]);
  if (missing.length === 0) return [];
  const lines = missing.map(([name, make]) => {
    env[name] = make();
    return `${name}=${env[name]}`;
  });
  const header = existsSync(file)
    ? ''
    : '# Written by `keywatch keys bootstrap` / `keywatch demo`. Local secrets: never commit this file.\n';
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const separator = previous === '' || previous.endsWith('\n') ? '' : '\n';
  writeFileSync(file, `${previous}${separator}${header}${lines.join('\n')}\n`, { mode: 0o600 });
  return missing.map(([name]) => name);
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerKeys(program: Command, env: NodeJS.ProcessEnv): void {
  /** The admin API at the endpoint `env` names (read when a command runs). */
  const api = () => keyServiceFromEnv(env, 'keys:manage', ', or run `keywatch keys bootstrap`');
  const keys = program
    .command('keys')
    .description('the key lifecycle, over the key service admin API (KEYWATCH_KEY_SERVICE_URL)');
  const json = (cmd: Command) => cmd.option('--json', 'print JSON instead of tables');

  keys
    .command('bootstrap')
    .description(
      'generate the platform root key and the fingerprint secret into .env.local (git-ignored); prints the root key once',
    )
    .option('--force', 'replace an existing .env.local')
    .option('--environment <env>', 'dev or live', 'live')
    .action((options: { force?: boolean; environment: string }) => {
      if (options.environment !== 'dev' && options.environment !== 'live')
        throw new Error('--environment must be dev or live');
      if (existsSync(envFile) && !options.force)
        throw new Error(`${envFile} exists; pass --force to replace it (keys signed by the old root key stay valid)`);
      const rootKey = generateKey({ type: 'secret', environment: options.environment });
      const lines = [
        '# Written by `keywatch keys bootstrap`. Local secrets: never commit this file.',
        `KEYWATCH_ROOT_KEY=${rootKey}`,
        `KEYWATCH_FINGERPRINT_SECRET=${randomBytes(32).toString('hex')}`,
        `KEYWATCH_SECRETS_KEY=${randomBytes(32).toString('hex')}`,
        '',
      ];
      writeFileSync(envFile, lines.join('\n'), { mode: 0o600 });
      console.log(
        `wrote ${envFile} (mode 600); \`keywatch run\` and \`keywatch keys\` load it, an explicit environment variable wins.`,
      );
      console.log(
        `\nroot key: ${rootKey}\n\n⚠ This key manages every tenant. For production, put it in your secret manager as KEYWATCH_ROOT_KEY.`,
      );
    });

  json(
    keys
      .command('create')
      .description('create a key; prints its secret once')
      .requiredOption('--name <name>', 'a name people recognise')
      .option('--tenant <id>', 'tenant (required with the root key)')
      .option('--type <type>', 'secret or publishable', 'secret')
      .option('--environment <env>', 'dev or live', 'dev')
      .option(
        '--scopes <list>',
        'comma-separated scopes (default: read+write for secret keys, bundles:read for publishable)',
        list,
      )
      .option('--expires-at <time>', 'RFC 3339 expiry')
      .option('--allowed-ips <list>', 'comma-separated IPs or CIDR blocks', list)
      .option('--allowed-origins <list>', 'comma-separated origins', list)
      .option('--rate-limit <n/s>', 'e.g. 100/60 for 100 requests per 60 s'),
  ).action(
    async (o: {
      name: string;
      tenant?: string;
      type: string;
      environment: string;
      scopes?: string[];
      expiresAt?: string;
      allowedIps?: string[];
      allowedOrigins?: string[];
      rateLimit?: string;
      json?: boolean;
    }) => {
      const rate = o.rateLimit ? /^(\d+)\/(\d+)$/.exec(o.rateLimit) : null;
      if (o.rateLimit && !rate) throw new Error('--rate-limit must look like 100/60 (requests/seconds)');
      // Option strings go as they are: the API checks them and names a bad field.
      const result = await api().createKey({
        tenant_id: o.tenant,
        type: o.type as KeyType,
        environment: o.environment as KeyEnvironment,
        name: o.name,
        scopes: o.scopes,
        expires_at: o.expiresAt,
        allowed_ips: o.allowedIps,
        allowed_origins: o.allowedOrigins,
        rate_limit: rate ? { limit: Number(rate[1]), window_s: Number(rate[2]) } : undefined,
      });
      if (o.json) {
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      printKeys([result.key]);
      printSecret(result.secret);
    },
  );

  json(
    keys
      .command('list')
      .description('list keys (no secrets)')
      .option('--status <state>')
      .option('--environment <env>')
      .option('--tenant <id>'),
  ).action(async (o: { status?: string; environment?: string; tenant?: string; json?: boolean }) => {
    const { keys: found } = await api().listKeys({
      status: o.status as KeyState | undefined,
      environment: o.environment as KeyEnvironment | undefined,
      tenant_id: o.tenant,
    });
    if (o.json) {
      console.log(JSON.stringify(found, null, 2));
      return;
    }
    printKeys(found);
  });

  json(keys.command('show').argument('<id>').description('one key record')).action(
    async (id: string, o: { json?: boolean }) => {
      const { key } = await api().getKey(id);
      console.log(JSON.stringify(key, null, 2));
      if (!o.json) return;
    },
  );

  json(
    keys
      .command('rotate')
      .argument('<id>')
      .description('rotate: new secret now, old key valid for the grace period')
      .option('--grace <seconds>', 'grace period (0 = expire the old key now)', '86400'),
  ).action(async (id: string, o: { grace: string; json?: boolean }) => {
    const result = await api().rotateKey(id, { grace_period_s: Number(o.grace) });
    if (o.json) {
      console.log(JSON.stringify(result, null, 2));
      return;
    }
    printKeys([result.key]);
    console.log(`previous key ${result.previous.id} stops working at ${result.previous.expires_at}`);
    printSecret(result.secret);
  });

  for (const action of ['deactivate', 'reactivate', 'revoke'] as const) {
    json(
      keys
        .command(action)
        .argument('<id>')
        .description(`${action} a key${action === 'revoke' ? ' (final)' : ''}`)
        .option('--reason <text>'),
    ).action(async (id: string, o: { reason?: string; json?: boolean }) => {
      const { key } = await api().transitionKey(id, action, o.reason ? { reason: o.reason } : {});
      if (o.json) {
        console.log(JSON.stringify(key, null, 2));
        return;
      }
      printKeys([key]);
    });
  }
}
