import { sendJson } from '@keywatch/api-client';
import type { LeakReceipt } from '@keywatch/contracts';
import type { Command } from 'commander';

type Env = Readonly<Record<string, string | undefined>>;

interface Options {
  keyId?: string;
  token?: string;
  tokenStdin?: boolean;
  source: string;
  url?: string;
  note?: string;
  json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** The body of `POST /v1/leaks` from the command's options (exactly one of key id and token). */
export function leakRequest(options: Omit<Options, 'tokenStdin' | 'json'>): Record<string, string> {
  const given = [options.keyId, options.token].filter((v) => v !== undefined).length;
  if (given !== 1) throw new Error('give exactly one of --key-id, --token-stdin and --token');
  return {
    ...(options.keyId !== undefined ? { key_id: options.keyId } : { token: options.token ?? '' }),
    source: options.source,
    ...(options.url !== undefined ? { url: options.url } : {}),
    ...(options.note !== undefined ? { note: options.note } : {}),
  };
}

/**
 * `keywatch leaks report`: tells the key service a key was found in public (`POST /v1/leaks`); a
 * live key raises `key_leaked` and is revoked, suspended or only notified by the tenant's leak policy.
 */
export function registerLeaks(program: Command, env: Env): void {
  program
    .command('leaks')
    .description('leaked keys, over the key service (KEYWATCH_KEY_SERVICE_URL)')
    .command('report')
    .description(
      'report a key found in public (by id, or the token itself on stdin); a live key raises key_leaked and the tenant leak policy acts (needs keys:manage)',
    )
    .option('--key-id <id>', 'the key, by its id')
    .option('--token-stdin', 'read the leaked token from stdin (keeps it out of shell history and ps)')
    .option('--token <token>', 'the leaked token on the command line (prefer --token-stdin)')
    .requiredOption('--source <where>', 'where it was found, e.g. "support ticket", "pastebin"')
    .option('--url <url>', 'where exactly')
    .option('--note <text>', 'anything the owner should know')
    .option('--json', 'print the API answer as JSON')
    .action(async (options: Options) => {
      const token = options.tokenStdin ? await readStdin() : options.token;
      const body = leakRequest({ ...options, token });
      const apiKey = env.KEYWATCH_API_KEY ?? env.KEYWATCH_ROOT_KEY;
      if (!apiKey) throw new Error('set KEYWATCH_API_KEY (a secret key with keys:manage) or KEYWATCH_ROOT_KEY');
      const receipt = await sendJson<LeakReceipt>(
        'key service',
        { baseUrl: env.KEYWATCH_KEY_SERVICE_URL ?? 'http://127.0.0.1:8080', apiKey },
        { method: 'POST', path: '/v1/leaks', body },
      );
      if (options.json) console.log(JSON.stringify(receipt, null, 2));
      else
        console.log(
          receipt.label === 'true_positive'
            ? `leak ${receipt.leak_id}: key ${String(receipt.key_id)} is live; key_leaked raised, the tenant's leak policy decides (see keywatch alerts tail, GET /v1/audit)`
            : `leak ${receipt.leak_id}: not a live key of this deployment${receipt.key_id ? ` (key ${receipt.key_id} is revoked or expired)` : ''}; nothing to do`,
        );
    });
}
