import { describe, expect, it } from 'vitest';
import { TOPICS, topicNames } from './topics.js';

describe('topics', () => {
  it('use the default names without a prefix', () => {
    expect(Object.values(topicNames())).toEqual([
      'auth-events',
      'auth-events-dlq',
      'security-alerts',
      'key-revocation-triggers',
      'key-lifecycle',
    ]);
    expect(topicNames()).toEqual(TOPICS);
  });

  it('prepend the prefix to every name', () => {
    const names = topicNames('staging.');
    expect(names.authEvents).toBe('staging.auth-events');
    for (const name of Object.values(names)) expect(name.startsWith('staging.')).toBe(true);
  });
});
