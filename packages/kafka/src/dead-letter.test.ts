import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, toDeadLetter, type SourceMessage } from './dead-letter.js';

const at = new Date('2025-01-31T12:00:00.000Z');

function source(overrides: Partial<SourceMessage> = {}): SourceMessage {
  return {
    topic: 'staging.auth-events',
    partition: 7,
    offset: '9007199254740993', // beyond 2^53: offsets are strings and must stay exact
    key: Buffer.from('key_example000000000000000000'),
    value: Buffer.from('{"v":1'),
    ...overrides,
  };
}

describe('toDeadLetter', () => {
  it('keeps the original key and value bytes untouched, including bytes that are not UTF-8', () => {
    const value = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80]);
    const key = Buffer.from([0xc3, 0x28]);
    const letter = toDeadLetter(source({ key, value }), 'invalid UTF-8', at);
    expect(Buffer.isBuffer(letter.value) && letter.value.equals(value)).toBe(true);
    expect(Buffer.isBuffer(letter.key) && letter.key.equals(key)).toBe(true);
  });

  it('keeps a null key null and turns a null value into an empty one', () => {
    const letter = toDeadLetter(source({ key: null, value: null }), 'empty message', at);
    expect(letter.key).toBeNull();
    expect(letter.value).toEqual(Buffer.alloc(0));
  });

  it('sets the reason, the source topic, partition and offset, and the time it was dead-lettered', () => {
    const letter = toDeadLetter(source(), 'ts: is required', at);
    expect(letter.headers).toEqual({
      [DLQ_HEADERS.reason]: 'ts: is required',
      [DLQ_HEADERS.topic]: 'staging.auth-events',
      [DLQ_HEADERS.partition]: '7',
      [DLQ_HEADERS.offset]: '9007199254740993',
      [DLQ_HEADERS.at]: '2025-01-31T12:00:00.000Z',
    });
  });

  it('keeps the original headers, byte for byte', () => {
    const binary = Buffer.from([0x00, 0xff, 0x10]);
    const letter = toDeadLetter(
      source({ headers: { 'x-origin': 'gw-1', 'x-binary': binary, 'x-absent': undefined } }),
      'bad',
      at,
    );
    expect(letter.headers?.['x-origin']).toBe('gw-1');
    expect(letter.headers?.['x-binary']).toEqual(binary);
    expect(letter.headers).not.toHaveProperty('x-absent');
  });

  it('keeps every value of a header that was repeated (KafkaJS hands those over as an array)', () => {
    const headers = { traceparent: ['00-aaaa-01', Buffer.from('00-bbbb-01')], single: ['only'] };
    const letter = toDeadLetter(source({ headers }), 'bad', at);
    expect(letter.headers?.traceparent).toEqual(['00-aaaa-01', Buffer.from('00-bbbb-01')]);
    expect(letter.headers?.single).toEqual(['only']);
  });

  it('replaces the dead-letter headers of a message that is dead-lettered again after a replay', () => {
    const replayed = source({
      headers: { [DLQ_HEADERS.reason]: 'old reason', [DLQ_HEADERS.offset]: '3', 'x-origin': 'gw-1' },
    });
    const letter = toDeadLetter(replayed, 'new reason', at);
    expect(letter.headers?.[DLQ_HEADERS.reason]).toBe('new reason');
    expect(letter.headers?.[DLQ_HEADERS.offset]).toBe('9007199254740993');
    expect(letter.headers?.['x-origin']).toBe('gw-1');
  });

  it('cuts a long reason to 1000 characters', () => {
    const letter = toDeadLetter(source(), `route: ${'x'.repeat(5000)}`, at);
    const reason = letter.headers?.[DLQ_HEADERS.reason];
    expect(typeof reason).toBe('string');
    expect(reason).toHaveLength(1000);
    expect(String(reason).startsWith('route: xxx')).toBe(true);
  });

  it('keeps a reason of exactly 1000 characters whole', () => {
    const reason = 'r'.repeat(1000);
    expect(toDeadLetter(source(), reason, at).headers?.[DLQ_HEADERS.reason]).toBe(reason);
  });

  it('stamps the current time when none is given', () => {
    const before = Date.now();
    const stamped = Date.parse(String(toDeadLetter(source(), 'bad').headers?.[DLQ_HEADERS.at]));
    expect(stamped).toBeGreaterThanOrEqual(before);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });
});
