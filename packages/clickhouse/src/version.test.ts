import { describe, expect, it } from 'vitest';
import { FEATURES, parseServerVersion, versionAtLeast } from './version.js';

describe('server versions', () => {
  it('parse what version() prints on old and current servers', () => {
    expect(parseServerVersion('18.16.1')).toEqual({ major: 18, minor: 16, text: '18.16.1' });
    expect(parseServerVersion('24.8.4.13\n')).toEqual({ major: 24, minor: 8, text: '24.8.4.13' });
    expect(parseServerVersion('25.3.2.39-lts')).toMatchObject({ major: 25, minor: 3 });
  });

  it('refuse anything else', () => {
    expect(() => parseServerVersion('')).toThrow(/unrecognised/);
    expect(() => parseServerVersion('v24')).toThrow(/unrecognised/);
  });

  it('compare by major, then minor', () => {
    const old = parseServerVersion('18.16.1');
    expect(versionAtLeast(old, FEATURES.queryParameters)).toBe(false);
    expect(versionAtLeast(old, '18.16')).toBe(true);
    expect(versionAtLeast(old, '18.9')).toBe(true);
    expect(versionAtLeast(parseServerVersion('19.11.3'), FEATURES.queryParameters)).toBe(true);
    expect(versionAtLeast(parseServerVersion('19.6.1'), FEATURES.queryParameters)).toBe(false);
    expect(versionAtLeast(parseServerVersion('20.1.1'), FEATURES.queryParameters)).toBe(true);
  });
});
