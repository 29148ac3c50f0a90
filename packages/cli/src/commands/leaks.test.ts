import { describe, expect, it } from 'vitest';
import { leakRequest } from './leaks.js';

describe('keywatch leaks report', () => {
  it('sends a key id or a token, never both, with where it was found', () => {
    expect(leakRequest({ keyId: 'key_abcdefghijklmnopqrstu', source: 'ticket', note: 'pasted' })).toEqual({
      key_id: 'key_abcdefghijklmnopqrstu',
      source: 'ticket',
      note: 'pasted',
    });
    expect(leakRequest({ token: 'sk_live_x', source: 'pastebin', url: 'https://paste.example/1' })).toEqual({
      token: 'sk_live_x',
      source: 'pastebin',
      url: 'https://paste.example/1',
    });
    expect(() => leakRequest({ source: 's' })).toThrow(/exactly one/);
    expect(() => leakRequest({ keyId: 'key_x', token: 't', source: 's' })).toThrow(/exactly one/);
  });
});
