import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AlertType, Outcome } from './index.js';
import { referenceBlocks, renderReference } from './reference.js';

const DOC = new URL('../../../docs/contracts.md', import.meta.url);

describe('docs/contracts.md', () => {
  it('holds exactly the tables rendered from the contracts (regenerate: node --import tsx scripts/contracts-doc.mjs)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(renderReference(doc)).toBe(doc);
  });

  it('renders every enum value and refuses unknown or missing blocks', () => {
    const blocks = referenceBlocks();
    for (const outcome of Outcome.options) expect(blocks.outcomes).toContain(`| \`${outcome}\` |`);
    for (const type of AlertType.options) expect(blocks['alert-types']).toContain(`| \`${type}\` |`);
    expect(() => renderReference('<!-- generated:nope -->\nx\n<!-- /generated:nope -->')).toThrow(
      /unknown generated block/,
    );
    expect(() => renderReference('no blocks')).toThrow(/lacks the generated blocks/);
  });
});
