// Keeps package.json `exports` equal to the module folders under src/ (one subpath per
// module with an index.ts). `--check` fails instead of writing, for CI.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const modules = readdirSync('src')
  .filter((d) => d !== 'core' && statSync(`src/${d}`).isDirectory() && existsSync(`src/${d}/index.ts`))
  .sort();
const entry = (base) => ({
  import: { types: `./dist/${base}.d.ts`, default: `./dist/${base}.js` },
  require: { types: `./dist/${base}.d.cts`, default: `./dist/${base}.cjs` },
});
const exportsField = { '.': entry('index') };
for (const m of modules) exportsField[`./${m}`] = entry(`${m}/index`);
exportsField['./package.json'] = './package.json';

const before = JSON.stringify(pkg.exports);
if (before === JSON.stringify(exportsField)) process.exit(0);
if (process.argv.includes('--check')) {
  console.error('package.json exports are out of date: run node scripts/sync-exports.mjs');
  process.exit(1);
}
pkg.exports = exportsField;
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`exports: ., ${modules.map((m) => `./${m}`).join(', ')}`);
