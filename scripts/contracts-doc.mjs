// Rewrites the generated tables of docs/contracts.md from packages/contracts.
// Run: node --import tsx scripts/contracts-doc.mjs  (--check: exit 1 when the file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { renderReference } from '../packages/contracts/src/reference.ts';

const file = new URL('../docs/contracts.md', import.meta.url);
const current = readFileSync(file, 'utf8');
const next = renderReference(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('docs/contracts.md is stale: run node --import tsx scripts/contracts-doc.mjs');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(file, next);
  console.log('docs/contracts.md updated');
}
