import { bool, defineConfig, duration, int, list, optional, str, url, enumOf } from '@keywatch/config';

/** The traffic simulator's settings (CLI flags of `keywatch sim` map onto them). */
export const simConfig = defineConfig({
  /** `http`: real requests through the gateway; `kafka`: synthetic auth events straight to Kafka. Default http. */
  SIM_MODE: enumOf(['http', 'kafka'] as const, { default: 'http' }),
  /** The gateway to send through (it must trust X-Forwarded-For). Default http://127.0.0.1:8088. */
  SIM_GATEWAY_URL: url({ default: 'http://127.0.0.1:8088', protocols: ['http', 'https'] }),
  /** The key service creating tenants' keys. Default http://127.0.0.1:8080. */
  KEYWATCH_KEY_SERVICE_URL: url({ default: 'http://127.0.0.1:8080', protocols: ['http', 'https'] }),
  /** The platform root key (http mode). */
  KEYWATCH_ROOT_KEY: optional(str({})),
  /** Keys' environment; must be the gateway's. Default live. */
  SIM_ENVIRONMENT: enumOf(['dev', 'live'] as const, { default: 'live' }),
  SIM_TENANTS: int({ default: 5, min: 1 }),
  SIM_KEYS_PER_TENANT: int({ default: 3, min: 1 }),
  /** http: normal requests per second at the daily peak; kafka: events per second. Default 50. */
  SIM_RATE: int({ default: 50, min: 1 }),
  /** How long to run (http mode). Default 60s. */
  SIM_DURATION: duration({ default: '60s' }),
  /** Length of a simulated day. Default 24h. */
  SIM_DAY_LENGTH: duration({ default: '24h' }),
  /** Attack scenarios to switch on (comma-separated; see ATTACKS). Default none. */
  SIM_ATTACKS: list({ default: [] }),
  /** http: the attacks one after another (after 15 % of the run, at most 20 s, of normal traffic) instead of all at once. Default false. */
  SIM_SEQUENTIAL: bool({ default: false }),
  /** kafka mode: events in all. Default 10000. */
  SIM_EVENTS: int({ default: 10_000, min: 1 }),
  /** kafka mode: event times start this far back (a backfill), e.g. 7d as 168h. Default 0. */
  SIM_BACKFILL: duration({ default: 0 }),
  SIM_SEED: int({ default: 1 }),
});
