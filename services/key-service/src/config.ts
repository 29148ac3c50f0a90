import { bool, defineConfig, duration, int, list, optional, str } from '@keywatch/config';
import { parseKey } from '@keywatch/contracts';

const secretKey = str({}).refine((value) => {
  const parsed = parseKey(value);
  return parsed.ok && parsed.type === 'secret';
}, 'must be a secret key in the key format (sk_live_… or sk_dev_…); generate one with `keywatch keys bootstrap`');

/** The key service's settings; documented in the README. */
export const keyServiceConfig = defineConfig({
  /** Listen address. Default 127.0.0.1. */
  KEY_SERVICE_HOST: str({ default: '127.0.0.1' }),
  /** Listen port. Default 8080. */
  KEY_SERVICE_PORT: int({ default: 8080, min: 0, max: 65_535 }),
  /** The platform root key (docs/contracts.md#http-apis): acts on every tenant. Required. */
  KEYWATCH_ROOT_KEY: secretKey,
  /** Deployment secret for fingerprints of presented credentials (HMAC). Required, 16+ characters. */
  KEYWATCH_FINGERPRINT_SECRET: str({}).refine((v) => v.length >= 16, 'must be at least 16 characters'),
  /** Optional pepper: key hashes become HMAC-SHA256(pepper, key). Every gateway needs the same value. */
  KEYWATCH_KEY_PEPPER: optional(str({})),
  /** Proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For is believed. Default: none. */
  KEY_SERVICE_TRUSTED_PROXIES: list({ default: [] }),
  /** Admin API requests per minute per client address (before authentication). Default 600. */
  KEY_SERVICE_RATE_LIMIT_PER_IP: int({ default: 600, min: 1 }),
  /** Admin API requests per minute per admin key without a rate_limit of its own. Default 1200. */
  KEY_SERVICE_RATE_LIMIT_PER_KEY: int({ default: 1200, min: 1 }),
  /** Consumer group for revocation triggers. Default `keywatch-key-service`. */
  KEY_SERVICE_GROUP_ID: str({ default: 'keywatch-key-service' }),
  /** How often expired keys are marked `expired` (and announced). Default 5s. */
  KEY_SERVICE_EXPIRY_SWEEP: duration({ default: '5s' }),
  /** How often key hygiene (expiring, grace ending, unused keys) is evaluated. Default 1m. */
  KEY_SERVICE_HYGIENE_SWEEP: duration({ default: '1m' }),
  /** GitHub's secret scanning public keys, saved from https://api.github.com/meta/public_keys/secret_scanning. Unset: `POST /v1/leaks/github` answers 422. */
  KEYWATCH_GITHUB_SCANNING_KEYS_FILE: optional(str({})),
  /** Deployment secret sealing webhook signing secrets (AES-256-GCM), 32+ characters; the notifier needs the same. Unset: `/v1/webhooks` answers 422 `not_configured`. */
  KEYWATCH_SECRETS_KEY: optional(
    str({}).refine((v) => v.length >= 32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)'),
  ),
  /** Accept webhook destinations on loopback, private and link-local addresses (metadata endpoints stay refused). Default false. */
  KEYWATCH_WEBHOOK_ALLOW_PRIVATE: bool({ default: false }),
  /** BullMQ prefix of the notifier's delivery queue (hash-tagged for Redis Cluster), for replays. Default `{keywatch:notifier}`. */
  KEYWATCH_NOTIFIER_QUEUE_PREFIX: str({ default: '{keywatch:notifier}' }),
});
