import { readdirSync } from 'node:fs';
import { expect } from 'vitest';
import { definedScripts } from '../../src/kit/index.js';

/**
 * Every script of `module` (imported by the caller) is defined as `<module>/<file>`, the name
 * its first line states: names key the script registry and batches, and appear in errors.
 */
export function expectScriptsNamedAfterFiles(module: string): void {
  const dir = new URL(`../../src/${module}/scripts/`, import.meta.url);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => `${module}/${f.slice(0, -'.lua'.length)}`);
  const defined = definedScripts().filter((s) => s.source.startsWith(`-- ${module}/`));
  expect(defined.map((s) => s.name).sort()).toEqual(files.sort());
  for (const s of defined) expect(s.source.split('\n')[0]).toBe(`-- ${s.name}.lua`);
}
