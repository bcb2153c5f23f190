// TypeScript mutation testing of one module with StrykerJS: mutates src/<module>/**/*.ts and
// runs only test/<module> on the standalone project (vitest.stryker.config.ts), one test
// runner at a time, so a run fits a shared 2-core machine. Too slow for CI: run it by hand
// after changing a module (docs/contributing.md, "Mutation testing").
//
//   npm run mutate:ts -- counters
//   npm run mutate:ts -- rate-limit gcra token-bucket   (only src/rate-limit/{gcra,token-bucket}.ts)
//   npm run mutate:ts -- queue worker:1-300              (only lines 1 to 300 of src/queue/worker.ts)
//   RP_DRIVER=node-redis npm run mutate:ts -- core client/node-redis-adapter
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleArg, testsUseBuild } from './lib/module-tests.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = moduleArg(root, 'npm run mutate:ts --');
// Files named after the module, each with an optional line range, limit the run to them, so a
// long run can be split across worktrees.
const only = process.argv.slice(3).map((arg) => {
  const [, file, range = ''] = /^(.*?)(:\d+-\d+)?$/.exec(arg);
  const path = `src/${name}/${file.endsWith('.ts') ? file : `${file}.ts`}`;
  if (!existsSync(resolve(root, path))) {
    console.error(`no ${path}`);
    process.exit(2);
  }
  return path + range;
});
const mutate = only.length === 0 ? `src/${name}/**/*.ts` : only.join(',');
const sh = (cmd, args, env = process.env) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;

if (sh('node', ['scripts/ensure-redis.mjs']) !== 0) process.exit(1);
// Stryker mutates only the sources vitest loads; tests of the built package still need a dist/
// to pass (they run the original code there and cannot kill a mutant).
if (testsUseBuild(root, name) && !existsSync(resolve(root, 'dist')) && sh('npm', ['run', 'build']) !== 0) process.exit(1);
// vitest.stryker.config.ts picks the module's tests from RP_MUTATE_MODULE and the driver from
// RP_DRIVER (ioredis unless set).
process.exit(sh('npx', ['stryker', 'run', 'stryker.config.mjs', '--mutate', mutate], { ...process.env, RP_MUTATE_MODULE: name }));
