import { defineConfig, duration, int, optional, str, url } from '@keywatch/config';

/** The console's settings (engine variables plus its own); documented in services/console/README.md. */
export const consoleConfig = defineConfig({
  /** Listen address. Default `127.0.0.1`. */
  CONSOLE_HOST: str({ default: '127.0.0.1' }),
  /** Listen port (0 = any free port). Default 8090. */
  CONSOLE_PORT: int({ default: 8090, min: 0, max: 65_535 }),
  /** The key service's base URL. Default `http://127.0.0.1:8080`. */
  KEYWATCH_KEY_SERVICE_URL: url({ default: 'http://127.0.0.1:8080', protocols: ['http', 'https'] }),
  /** The analytics API's base URL (also serves the alert feed). Default `http://127.0.0.1:8081`. */
  KEYWATCH_ANALYTICS_URL: url({ default: 'http://127.0.0.1:8081', protocols: ['http', 'https'] }),
  /** Idle time after which a session ends (sliding: every request renews it). Default `30m`. */
  CONSOLE_SESSION_TTL: duration({ default: '30m' }),
  /**
   * The address people open, e.g. `https://console.example.com`, when the console sits behind a
   * proxy: unsafe requests must come from this origin, and an https URL makes the cookie Secure.
   * Default unset: the origin is the request's own (`http://<Host>`).
   */
  CONSOLE_PUBLIC_URL: optional(url({ protocols: ['http', 'https'] })),
});
