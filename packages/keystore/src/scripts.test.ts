import { describe, expect, test } from 'vitest';
import { JSON_FIELDS } from './record.js';
import { PRELUDE } from './scripts.js';

describe('keystore Lua', () => {
  test('the prelude lists exactly the record fields stored as JSON', () => {
    const line = /^local JSON_FIELDS = \{(.*)\}$/m.exec(PRELUDE.source)?.[1] ?? '';
    expect(line.split(', ').map((entry) => entry.replace(/ = true$/, ''))).toEqual([...JSON_FIELDS]);
  });
});
