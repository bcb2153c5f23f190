// Tree-shaking is a promise of this library: a consumer importing one module gets that
// module and core, and no other module's code or Lua. Bundles the built package (dist/,
// `npm test` builds first) with esbuild and looks for every module's Lua header marker
// (`-- <module>/<file>.lua`, the first line of every script).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { target } from '../harness/redis.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> };
const modules = Object.keys(pkg.exports)
  .filter((k) => k.startsWith('./') && k !== './package.json')
  .map((k) => k.slice(2));

// Real dependencies between modules, through the other module's public entry (docs/architecture.md).
// The queue's rate limits are the rate-limit module's sliding window log (StreamQueue's rateLimit, groupRateLimit).
const dependsOn: Record<string, string[]> = { queue: ['rate-limit'] };

// A script's first line is `-- <module>/<file>.lua`, an include's `-- <module>/scripts/includes/<file>.lua`.
function luaFiles(module: string): { marker: string; file: string }[] {
  const out: { marker: string; file: string }[] = [];
  for (const [dir, prefix] of [
    [`src/${module}/scripts`, `${module}/`],
    [`src/${module}/scripts/includes`, `${module}/scripts/includes/`],
  ] as const) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((name) => name.endsWith('.lua'))) out.push({ marker: `-- ${prefix}${f}`, file: `${dir}/${f}` });
  }
  return out;
}

function luaMarkers(module: string): string[] {
  return luaFiles(module).map((l) => l.marker);
}

async function bundle(entry: string): Promise<string> {
  const result = await build({
    stdin: { contents: `export * from '${entry}';`, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    treeShaking: true,
    external: ['ioredis', 'redis'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

// Packaging does not depend on the Redis target: check it once.
describe.runIf(target === 'standalone' && process.env.RP_DRIVER !== 'node-redis')('tree-shaking', () => {
  it('dist is built', () => {
    expect(existsSync('dist/index.js'), 'run npm run build first (npm test does)').toBe(true);
  });

  it('every Lua script starts with its marker line', () => {
    for (const m of modules) {
      for (const { marker, file } of luaFiles(m)) expect(readFileSync(file, 'utf8').split('\n')[0], file).toBe(marker);
    }
  });

  it('the root entry carries no module code', async () => {
    const code = await bundle('redis-patterns');
    for (const m of modules) for (const marker of luaMarkers(m)) expect(code.includes(marker), `${marker} in core bundle`).toBe(false);
  });

  for (const m of modules) {
    it(`redis-patterns/${m} bundles only itself and core`, async () => {
      const code = await bundle(`redis-patterns/${m}`);
      for (const marker of luaMarkers(m)) expect(code.includes(marker), `${marker} missing from its own bundle`).toBe(true);
      for (const other of modules.filter((o) => o !== m && !(dependsOn[m] ?? []).includes(o))) {
        for (const marker of luaMarkers(other)) expect(code.includes(marker), `${marker} leaked into ${m}`).toBe(false);
      }
    });
  }
});
