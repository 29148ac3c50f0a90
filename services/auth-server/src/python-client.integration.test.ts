import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateKey } from '@keywatch/contracts';
import { startTestKeyService } from '@keywatch/key-service/testing';
import { describe, expect, test } from '@keywatch/testkit';
import { startTestAuthServer } from './testing.js';

const CLIENT_DIR = fileURLToPath(new URL('../../../clients/python', import.meta.url));
const TOKEN = 'python-client-token-0123456789';

// Reads the key from stdin (never argv, which other processes can see) and prints the answer.
const SCRIPT = `
import json, sys
sys.path.insert(0, sys.argv[1])
from keywatch_verify import KeywatchVerifier
r = KeywatchVerifier(sys.argv[2], token=sys.argv[3], gateway_id="python-test").verify(sys.stdin.read(), scope="subscriptions:read", ip="203.0.113.5")
print(json.dumps({"valid": r.valid, "outcome": r.outcome, "status": r.status, "key_id": r.key.id if r.key else None, "headers": r.headers()}))
`;

async function verifyWithPython(url: string, key: string): Promise<Record<string, unknown>> {
  const child = promisify(execFile)('python3', ['-c', SCRIPT, CLIENT_DIR, url, TOKEN], {
    timeout: 20_000,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  child.child.stdin?.end(key);
  const { stdout } = await child;
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('the Python client against a real auth server', () => {
  test('clients/python/keywatch_verify.py verifies an allowed, a rate-limited and an unknown key', async ({
    kafka,
    redis,
    logger,
  }) => {
    const ks = await startTestKeyService({ kafka, redis, logger });
    const server = await startTestAuthServer({ kafka, redis, logger }, { AUTH_SERVER_TOKEN: TOKEN });
    try {
      const key = await ks.createKey({
        tenant_id: 'tenant_as_python',
        type: 'secret',
        environment: 'live',
        name: 'python',
        scopes: ['subscriptions:read'],
        rate_limit: { limit: 1, window_s: 60 },
      });
      expect(await verifyWithPython(server.url, key.secret)).toEqual({
        valid: true,
        outcome: 'allowed',
        status: 200,
        key_id: key.id,
        headers: {
          'RateLimit-Limit': '1',
          'RateLimit-Remaining': '0',
          'RateLimit-Reset': expect.any(String) as string,
        },
      });
      const limited = await verifyWithPython(server.url, key.secret);
      expect([limited.valid, limited.outcome, limited.status]).toEqual([false, 'rate_limited', 429]);
      expect(limited.headers).toHaveProperty('Retry-After');
      const unknown = await verifyWithPython(server.url, generateKey({ type: 'secret', environment: 'live' }));
      expect([unknown.valid, unknown.outcome, unknown.status, unknown.key_id]).toEqual([
        false,
        'unknown_key',
        401,
        null,
      ]);
    } finally {
      await server.close();
      await ks.close();
    }
  });
});
