import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeJson, formatIssues, validate } from './validation.js';

const Sample = z.object({
  name: z.string().min(1, 'must not be empty'),
  limits: z.object({ limit: z.number().int(), window_s: z.number().int() }),
  tags: z.array(z.string()),
});

describe('validate', () => {
  it('returns the parsed value without unknown fields', () => {
    const input = { name: 'a', limits: { limit: 1, window_s: 60, extra: true }, tags: [], extra: 1 };
    expect(validate(Sample, input)).toEqual({
      ok: true,
      value: { name: 'a', limits: { limit: 1, window_s: 60 }, tags: [] },
    });
  });

  it('lists every failing field by dotted path', () => {
    expect(validate(Sample, { name: '', limits: { limit: 0.5 }, tags: ['ok', 3] })).toEqual({
      ok: false,
      issues: [
        { field: 'name', reason: 'must not be empty' },
        { field: 'limits.limit', reason: 'must be an integer' },
        { field: 'limits.window_s', reason: 'is required' },
        { field: 'tags.1', reason: 'Invalid input: expected string, received number' },
      ],
    });
  });

  it('reports a wrong root type on the empty field', () => {
    for (const input of [null, 'text', 42, []]) {
      const result = validate(Sample, input);
      expect(result.ok ? [] : result.issues.map((issue) => issue.field)).toEqual(['']);
    }
  });
});

describe('decodeJson', () => {
  it('decodes a Buffer or a string, then validates', () => {
    const body = JSON.stringify({ name: 'a', limits: { limit: 1, window_s: 1 }, tags: [] });
    expect(decodeJson(Sample, body).ok).toBe(true);
    expect(decodeJson(Sample, Buffer.from(body)).ok).toBe(true);
    expect(decodeJson(Sample, '{"name":""}')).toMatchObject({
      ok: false,
      issues: [{ field: 'name' }, { field: 'limits' }, { field: 'tags' }],
    });
  });

  it('reports an empty message for null, empty and blank bodies', () => {
    for (const body of [null, undefined, '', '  \n', Buffer.alloc(0)]) {
      expect(decodeJson(Sample, body)).toEqual({ ok: false, issues: [{ field: '', reason: 'empty message' }] });
    }
  });

  it('reports invalid JSON and invalid UTF-8 on the root field', () => {
    expect(decodeJson(Sample, '{"name": ')).toEqual({
      ok: false,
      issues: [{ field: '', reason: expect.stringMatching(/^invalid JSON: /) }],
    });
    expect(decodeJson(Sample, Buffer.from([0x7b, 0xff, 0x7d]))).toEqual({
      ok: false,
      issues: [{ field: '', reason: 'invalid UTF-8' }],
    });
  });
});

describe('formatIssues', () => {
  it('joins issues on one line, root issues without a field name', () => {
    const line = formatIssues([
      { field: '', reason: 'invalid JSON:\nline two' },
      { field: 'rate_limit.limit', reason: 'must be an integer' },
    ]);
    expect(line).toBe('invalid JSON: line two; rate_limit.limit: must be an integer');
  });

  it('cuts long lists to the maximum length', () => {
    const issues = Array.from({ length: 100 }, (_, i) => ({ field: `f${i}`, reason: 'is required' }));
    const line = formatIssues(issues, 50);
    expect(line).toHaveLength(50);
    expect(line.endsWith('…')).toBe(true);
  });
});

describe('validate on strict schemas', () => {
  it('names each unknown field, at its own path', () => {
    const schema = z.strictObject({ a: z.number(), nested: z.strictObject({ b: z.string() }) });
    const result = validate(schema, { a: 1, colour: 'red', nested: { b: 'x', size: 3 } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect([...result.issues].sort((x, y) => x.field.localeCompare(y.field))).toEqual([
        { field: 'colour', reason: 'is not a known field' },
        { field: 'nested.size', reason: 'is not a known field' },
      ]);
    }
  });
});
