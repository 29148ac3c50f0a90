/**
 * The contracts' value sets as plain constants: no imports, so browser code (the console's web app)
 * and the API client's types share them with the schemas built from them.
 */

export const KEY_TYPES = ['publishable', 'secret'] as const;
export const KEY_ENVIRONMENTS = ['dev', 'live'] as const;
export const KEY_STATES = ['active', 'rotating', 'deactivated', 'suspended', 'revoked', 'expired'] as const;
/** In increasing order of urgency. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const ALERT_TYPES = [
  'failed_auth_spike',
  'credential_stuffing',
  'geo_new_country',
  'impossible_travel',
  'rate_limit_violation',
  'usage_spike',
  'secret_key_client_side',
  'revoked_key_in_use',
  'key_leaked',
  'key_expiring',
  'rotation_grace_ending',
  'key_unused',
  'unfamiliar_client',
  'threat_list_ip',
] as const;
export const ALERT_ACTIONS = ['none', 'suspend_requested', 'revoke_requested'] as const;
