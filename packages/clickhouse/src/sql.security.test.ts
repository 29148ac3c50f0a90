import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identifier, quoteString, renderSql, sql } from './sql.js';

/** Reads a ClickHouse quoted string literal the way the server's lexer does; returns its value and length. */
function readLiteral(text: string): { value: string; length: number } {
  const simple: Record<string, string> = {
    '0': '\0',
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    '\\': '\\',
    "'": "'",
  };
  if (text[0] !== "'") throw new Error('not a literal');
  let value = '';
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") return { value, length: i + 1 };
    if (c === '\\') {
      const e = text[i + 1] ?? '';
      if (e === 'x') {
        value += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        value += simple[e] ?? e;
        i += 2;
      }
      continue;
    }
    value += c!;
    i += 1;
  }
  throw new Error('unterminated literal');
}

const tricky = fc.string({
  unit: fc.constantFrom(
    "'",
    '\\',
    '\n',
    '\r',
    '\t',
    '\0',
    '\x01',
    '\x1b',
    '\x7f',
    '"',
    '`',
    '{',
    '}',
    ';',
    '-',
    '/',
    '*',
    'a',
    'é',
    '😀',
    '\u2028',
  ),
});
const anyText = fc.oneof(tricky, fc.string({ unit: 'binary' }), fc.string());

describe('string literals', () => {
  it('escape quotes, backslashes and control characters', () => {
    expect(quoteString("it's a \\ path\n\0\x01\x7f")).toBe("'it\\'s a \\\\ path\\n\\0\\x01\\x7f'");
  });

  it('read back as exactly the original string, ending where the literal ends', () => {
    fc.assert(
      fc.property(anyText, (value) => {
        const text = quoteString(value);
        expect(readLiteral(text)).toEqual({ value, length: text.length });
      }),
      { numRuns: 2000 },
    );
  });

  it('never contain a raw control character', () => {
    fc.assert(
      fc.property(anyText, (value) => {
        expect(quoteString(value)).not.toMatch(/[\x00-\x1f\x7f]/); // eslint-disable-line no-control-regex
      }),
    );
  });

  it('refuse lone surrogates, which have no UTF-8 form', () => {
    expect(() => quoteString('a\ud800b')).toThrow(/lone surrogate/);
    expect(() => renderSql(sql`SELECT ${'\udc00'}`, 'parameters')).toThrow(/lone surrogate/);
    expect(quoteString('😀')).toBe("'😀'");
  });

  it('keep a bound string inside its literal: the text around it is unchanged', () => {
    fc.assert(
      fc.property(anyText, anyText, (a, b) => {
        const { query } = renderSql(sql`SELECT ${a} AS a, ${b} AS b`, 'inline');
        expect(query.startsWith('SELECT ')).toBe(true);
        const first = readLiteral(query.slice('SELECT '.length));
        const rest = query.slice('SELECT '.length + first.length);
        expect(rest.startsWith(' AS a, ')).toBe(true);
        const second = readLiteral(rest.slice(' AS a, '.length));
        expect(rest.slice(' AS a, '.length + second.length)).toBe(' AS b');
        expect([first.value, second.value]).toEqual([a, b]);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('identifiers', () => {
  it('accept names and database.table', () => {
    expect(renderSql(identifier('auth_events'), 'inline').query).toBe('`auth_events`');
    expect(renderSql(identifier('kw_1.schema_migrations'), 'inline').query).toBe('`kw_1`.`schema_migrations`');
  });

  it('refuse anything else', () => {
    for (const bad of ['', '1abc', 'a-b', 'a b', 'a`b', 'a.b.c', '.a', 'a.', "a'", 'a;DROP', 'é']) {
      expect(() => identifier(bad), bad).toThrow(/not an identifier/);
    }
    fc.assert(
      fc.property(anyText, (name) => {
        const valid = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name);
        if (valid) expect(renderSql(identifier(name), 'inline').query).not.toMatch(/[^A-Za-z0-9_.`]/);
        else expect(() => identifier(name)).toThrow();
      }),
    );
  });
});
