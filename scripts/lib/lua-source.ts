// Reads a Lua script as the library embeds it: each `--- @include "<path under src/>"` line is
// replaced by that file's text, recursively, each file at most once per script (a fragment two
// includes share is defined once). Used by the build (tsup) and by the tests (vite), so both
// run exactly the same source.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const INCLUDE = /^--- @include "([^"]+)"[ \t]*$/gm;

/** The source of the `.lua` file at `file` with its includes expanded. */
export function readLuaSource(file: string): string {
  return expand(resolve(file), new Set());
}

function expand(file: string, seen: Set<string>): string {
  seen.add(file);
  return readFileSync(file, 'utf8').replace(INCLUDE, (_, path: string) => {
    const target = resolve(SRC, path);
    if (relative(SRC, target).startsWith(`..${sep}`)) throw new Error(`${file}: include ${path} is outside src/`);
    if (seen.has(target)) return `-- (${path} is already included above)`;
    return expand(target, seen).replace(/\n$/, '');
  });
}
