// Import-cycle check over the whole workspace, across package boundaries too: workspace package
// names are mapped to their sources (from each package.json's exports), so madge follows them.
// Fails on a cycle and on any import it could not resolve (a skipped file hides cycles).
import { readFileSync, readdirSync, existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import madge from 'madge';

const root = path.resolve(import.meta.dirname, '..');
const folders = ['packages', 'services']
  .flatMap((dir) => readdirSync(path.join(root, dir)).map((name) => path.join(dir, name)))
  .concat(
    ['infra/local', 'bench', 'test'],
    readdirSync(path.join(root, 'tools')).map((name) => path.join('tools', name)),
  );
const paths = {};
for (const folder of folders) {
  const manifest = path.join(root, folder, 'package.json');
  if (!existsSync(manifest)) continue;
  const { name, exports = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
  for (const [sub, target] of Object.entries(exports))
    paths[sub === '.' ? name : name + sub.slice(1)] = [path.join(root, folder, target)];
}
const tsConfig = path.join(mkdtempSync(path.join(tmpdir(), 'kw-cycles-')), 'tsconfig.json');
writeFileSync(
  tsConfig,
  JSON.stringify({ compilerOptions: { baseUrl: root, paths, module: 'NodeNext', moduleResolution: 'NodeNext' } }),
);

const result = await madge(
  ['packages', 'services', 'infra', 'test', 'bench', 'tools'].map((d) => path.join(root, d)),
  {
    fileExtensions: ['ts'],
    tsConfig,
    excludeRegExp: [/node_modules/],
    detectiveOptions: { ts: { skipTypeImports: false } },
  },
);
const cycles = result.circular();
const skipped = result.warnings().skipped.filter((s) => s.startsWith('@keywatch/'));
for (const cycle of cycles) console.error(`cycle: ${cycle.join(' → ')}`);
for (const s of skipped) console.error(`unresolved workspace import (add it to its package.json exports): ${s}`);
console.log(
  `import cycles: ${Object.keys(result.obj()).length} files, ${cycles.length} cycles, ${skipped.length} unresolved`,
);
process.exit(cycles.length > 0 || skipped.length > 0 ? 1 : 0);
