import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Webhook signing secrets must be readable again by the notifier (it signs with them), so they
 * cannot be hashed like API keys. They are sealed with AES-256-GCM under a key derived (HKDF-SHA256)
 * from the deployment secret `KEYWATCH_SECRETS_KEY`, with the destination's id as associated data:
 * a Redis dump alone reveals no secret, and a sealed secret copied onto another destination does
 * not open.
 */
export interface SecretBox {
  seal(plain: string, context: string): string;
  /** Throws when the sealed text was tampered with, or sealed under another key or context. */
  open(sealed: string, context: string): string;
}

/** The shortest `KEYWATCH_SECRETS_KEY` accepted (e.g. `openssl rand -hex 32` gives 64). */
export const MIN_SECRETS_KEY_LENGTH = 32;

const VERSION = 'v1';

/** A {@link SecretBox} under `secretsKey` (at least {@link MIN_SECRETS_KEY_LENGTH} characters). */
export function createSecretBox(secretsKey: string): SecretBox {
  if (secretsKey.length < MIN_SECRETS_KEY_LENGTH)
    throw new RangeError(`KEYWATCH_SECRETS_KEY must be at least ${MIN_SECRETS_KEY_LENGTH} characters`);
  const key = Buffer.from(hkdfSync('sha256', secretsKey, 'keywatch', 'webhook-secrets v1', 32));
  return {
    seal(plain, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        VERSION,
        iv.toString('base64url'),
        cipher.getAuthTag().toString('base64url'),
        body.toString('base64url'),
      ].join('.');
    },
    open(sealed, context) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed webhook secret');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

/** A fresh destination secret: `whsec_` and 32 random bytes in base64url. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}
