import { describe, expect, it } from 'vitest';
import { createSecretBox, generateWebhookSecret } from './secrets.js';

const KEY = 'k'.repeat(32);

describe('SecretBox', () => {
  it('opens what it sealed, and the sealed text does not contain the secret', () => {
    const box = createSecretBox(KEY);
    const secret = generateWebhookSecret();
    const sealed = box.seal(secret, 'wh_1');
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open(sealed, 'wh_1')).toBe(secret);
  });

  it('refuses another key, another destination and tampering', () => {
    const sealed = createSecretBox(KEY).seal('whsec_x', 'wh_1');
    expect(() => createSecretBox('z'.repeat(32)).open(sealed, 'wh_1')).toThrow();
    expect(() => createSecretBox(KEY).open(sealed, 'wh_2')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('whsec_y').toString('base64url');
    expect(() => createSecretBox(KEY).open(parts.join('.'), 'wh_1')).toThrow();
  });

  it('refuses a short deployment key', () => {
    expect(() => createSecretBox('short')).toThrow(/at least 32/);
  });

  it('generates whsec_ secrets of 256 bits', () => {
    expect(generateWebhookSecret()).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });
});
