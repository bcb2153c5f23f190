// `npm run examples`: runs every examples/<name>/index.ts end to end, each in its own
// process, and fails if any of them fails. `npm run examples -- <name>` runs one.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const names = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('_') && existsSync(join(here, d.name, 'index.ts')))
  .map((d) => d.name)
  .filter((n) => only.length === 0 || only.includes(n))
  .sort();

if (names.length === 0) {
  console.log('no examples yet');
  process.exit(0);
}
const failed: string[] = [];
for (const name of names) {
  console.log(`\n=== example: ${name} ===`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, name, 'index.ts')], { stdio: 'inherit', timeout: 120_000 });
  const ok = r.status === 0;
  console.log(`=== ${name}: ${ok ? 'ok' : `FAILED (${r.status ?? r.signal})`} in ${Date.now() - started} ms ===`);
  if (!ok) failed.push(name);
}
console.log(`\n${names.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
