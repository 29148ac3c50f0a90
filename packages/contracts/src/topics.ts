/** Default topic names; deployments may prepend a prefix (see {@link topicNames}). */
export const TOPICS = {
  authEvents: 'auth-events',
  authEventsDlq: 'auth-events-dlq',
  securityAlerts: 'security-alerts',
  keyRevocationTriggers: 'key-revocation-triggers',
  keyLifecycle: 'key-lifecycle',
} as const;

/** Topic names by role. */
export type TopicNames = { readonly [Role in keyof typeof TOPICS]: string };

/**
 * Every topic name with `prefix` prepended, e.g. `topicNames('staging.').authEvents === 'staging.auth-events'`.
 * @param prefix - prepended as is, no separator added; defaults to `''`
 */
export function topicNames(prefix = ''): TopicNames {
  return {
    authEvents: prefix + TOPICS.authEvents,
    authEventsDlq: prefix + TOPICS.authEventsDlq,
    securityAlerts: prefix + TOPICS.securityAlerts,
    keyRevocationTriggers: prefix + TOPICS.keyRevocationTriggers,
    keyLifecycle: prefix + TOPICS.keyLifecycle,
  };
}
