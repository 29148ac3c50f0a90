import { describe, expect, it } from 'vitest';
import type { Field } from './fields.js';
import { bool, duration, enumOf, int, list, optional, parseDuration, str, url } from './fields.js';

const value = <T>(field: Field<T>, raw: string | undefined): T => field.parse(raw);
const reason = (field: Field<unknown>, raw: string | undefined): string | undefined =>
  field.safeParse(raw).error?.issues[0]?.message;

describe('duration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['250', 250],
    [' 2s ', 2_000],
  ])('reads %j as %i ms', (raw, ms) => {
    expect(value(duration(), raw)).toBe(ms);
  });

  it.each(['1.5s', '-1s', '5d', 's', '10 s', 'soon', '99999999999999999h'])('rejects %j', (raw) => {
    expect(reason(duration(), raw)).toMatch(/expected a duration/);
  });

  it('takes its default in ms or as a duration string', () => {
    expect(value(duration({ default: 1_500 }), undefined)).toBe(1_500);
    expect(value(duration({ default: '30s' }), undefined)).toBe(30_000);
    expect(() => duration({ default: '30 seconds' })).toThrow(TypeError);
  });

  it('is exposed as parseDuration for other inputs', () => {
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('5x')).toBeUndefined();
  });
});

describe('list', () => {
  it('splits on commas, trims items and drops empty ones', () => {
    expect(value(list(), ' a, b ,,c, ')).toEqual(['a', 'b', 'c']);
  });

  it('rejects a set value with no items and names the first bad item', () => {
    expect(reason(list(), ' , ,')).toMatch(/at least one item/);
    const ports = list({ item: (item) => (/^\d+$/.test(item) ? undefined : 'expected digits') });
    expect(reason(ports, '1,2,x')).toBe('item 3: expected digits');
  });

  it('returns a fresh copy of its default', () => {
    const field = list({ default: ['a'] });
    const first = value(field, undefined);
    first.push('b');
    expect(value(field, undefined)).toEqual(['a']);
  });
});

describe('bool', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['false', false],
    ['0', false],
  ])('reads %j as %s', (raw, expected) => {
    expect(value(bool(), raw)).toBe(expected);
  });

  it.each(['yes', 'on', '2', 'truthy'])('rejects %j', (raw) => {
    expect(reason(bool(), raw)).toBe('expected true, false, 1 or 0');
  });
});

describe('int', () => {
  it('reads integers within bounds', () => {
    expect(value(int({ min: 1, max: 65_535 }), '8080')).toBe(8080);
    expect(value(int(), '-3')).toBe(-3);
  });

  it.each(['12.5', '1e3', '0x10', '12abc', '0', '70000'])('rejects %j outside an integer port', (raw) => {
    expect(reason(int({ min: 1, max: 65_535 }), raw)).toBe('expected an integer from 1 to 65535');
  });
});

describe('url, str and enumOf', () => {
  it('checks the URL scheme when protocols are given', () => {
    expect(value(url({ protocols: ['redis', 'rediss'] }), 'rediss://cache:6380')).toBe('rediss://cache:6380');
    expect(reason(url({ protocols: ['redis'] }), 'http://cache')).toBe('expected a URL with scheme redis');
    expect(reason(url(), 'not a url')).toBe('expected an absolute URL');
  });

  it('keeps strings as given and applies a pattern', () => {
    expect(value(str(), ' spaced ')).toBe(' spaced ');
    expect(reason(str({ pattern: /^[a-z]+$/ }), 'A1')).toBe('must match /^[a-z]+$/');
  });

  it('accepts only listed enum values, exactly', () => {
    const mode = enumOf(['json', 'slack'], { default: 'json' });
    expect(value(mode, 'slack')).toBe('slack');
    expect(value(mode, undefined)).toBe('json');
    expect(reason(mode, 'Slack')).toBe('expected one of: json, slack');
  });
});

describe('unset, blank and optional', () => {
  it('treats unset and blank alike: default if there is one, otherwise required', () => {
    expect(value(int({ default: 3 }), undefined)).toBe(3);
    expect(value(int({ default: 3 }), '  ')).toBe(3);
    expect(reason(int(), undefined)).toBe('required but not set');
    expect(reason(str(), '')).toBe('required but not set');
  });

  it('makes optional fields undefined when unset but still validates a set value', () => {
    const port = optional(int({ min: 1 }));
    expect(value(port, undefined)).toBeUndefined();
    expect(value(port, '')).toBeUndefined();
    expect(value(port, '9')).toBe(9);
    expect(reason(port, 'x')).toBe('expected an integer >= 1');
  });
});
