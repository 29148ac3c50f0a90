import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Relative links in the docs and service READMEs point at files that exist and at headings those
// files have, so moving a file or renaming a section cannot leave a dead reference behind.

const ROOT = new URL('../../', import.meta.url).pathname;

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(ROOT, 'services'))
    .map((s) => `services/${s}/README.md`)
    .filter((f) => existsSync(join(ROOT, f))),
];

describe('markdown links', () => {
  it.each(documents)('%s: every relative link and anchor resolves', (document) => {
    const path = join(ROOT, document);
    const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [file = '', anchor] = target.split('#');
      const resolved = file === '' ? path : join(dirname(path), file);
      expect(existsSync(resolved), `${document} links to ${target}`).toBe(true);
      if (anchor !== undefined && resolved.endsWith('.md')) {
        expect(anchors(resolved).has(anchor), `${document}: #${anchor} in ${relative(ROOT, resolved)}`).toBe(true);
      }
    }
  });
});

describe('the repo stands on its own', () => {
  it('no tracked file cites the contracts file kept outside the repo (docs/contracts.md is ours)', async () => {
    const { execFileSync } = await import('node:child_process');
    // `git grep` exits 1 when nothing matches; the name is split so this file does not match itself.
    const outside = ['CONTRACTS', 'md'].join('.');
    let hits = '';
    try {
      hits = execFileSync('git', ['grep', '-n', '-F', outside], { cwd: ROOT, encoding: 'utf8' });
    } catch (error) {
      if ((error as { status?: number }).status !== 1) throw error;
    }
    expect(hits).toBe('');
  });
});
