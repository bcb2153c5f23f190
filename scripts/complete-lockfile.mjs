// Adds lockfile entries for optional, platform-specific packages (rollup, biome, ...)
// that `npm install` could not record because the registry it ran against does not
// serve them. Without those entries `npm ci` refuses the lockfile ("Missing: ... from
// lock file") on every machine. Entries carry only the version and `optional: true`:
// npm installs them where the platform matches and the registry has them, and skips
// them otherwise, as it does for any optional dependency.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${path}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (packages[nested] || packages[hoisted]) continue;
    packages[hoisted] = { version: String(range).replace(/^[\^~=]/, ''), dev: entry.dev, optional: true };
    if (!entry.dev) delete packages[hoisted].dev;
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
