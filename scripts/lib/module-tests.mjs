// What the mutation runners need to know about one module's tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The module named on the command line, checked to have sources and tests; exits with usage otherwise. */
export function moduleArg(root, usage) {
  const name = process.argv[2];
  if (!name || !/^[a-z][a-z-]*$/.test(name) || !existsSync(join(root, 'src', name)) || !existsSync(join(root, 'test', name))) {
    console.error(`usage: ${usage} <module>   (a folder of src/ with tests in test/<module>)`);
    process.exit(2);
  }
  return name;
}

/**
 * Whether the module's tests load the built package (child-process fixtures import
 * `redis-patterns/...`, package tests read dist/): those only see a change after `npm run build`.
 */
export function testsUseBuild(root, name) {
  const uses = (dir) =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return uses(path);
      return /\.(ts|mjs|js)$/.test(e.name) && /from ['"]redis-patterns|\bdist\//.test(readFileSync(path, 'utf8'));
    });
  return uses(join(root, 'test', name));
}
