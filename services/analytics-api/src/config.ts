import { defineConfig, int, optional, str } from '@keywatch/config';

/** The analytics API's settings (engine variables plus its own); documented in the README. */
export const analyticsConfig = defineConfig({
  /** Default `127.0.0.1`. */
  ANALYTICS_API_HOST: str({ default: '127.0.0.1' }),
  /** Default 8081 (0 = any free port). */
  ANALYTICS_API_PORT: int({ default: 8081, min: 0, max: 65_535 }),
  /** Same value as the key service's: key hashes are HMAC-SHA256(pepper, key) when set. */
  KEYWATCH_KEY_PEPPER: optional(str({})),
  /** The platform root key; when set it may read every tenant (`tenant_id` then names one). */
  KEYWATCH_ROOT_KEY: optional(str({})),
});
