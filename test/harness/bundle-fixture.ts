// Child-process fixtures run the library from src, bundled here with the build's own Lua
// loader, so they need no `npm run build` of the whole package.
import { randomBytes } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { readLuaSource } from '../../scripts/lib/lua-source.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Bundles the fixture at `path` (relative to the repository, e.g. `test/cache/fixtures/wrap-child.ts`)
 * into one ESM file, client and OpenTelemetry libraries left external, and returns its path.
 */
export async function bundleFixture(path: string): Promise<string> {
  const name = basename(path, '.ts');
  // Under node_modules so that the external libraries resolve; unique per run and project.
  const outfile = resolve(root, 'node_modules/.cache/redis-patterns-tests', `${name}-${randomBytes(4).toString('hex')}.mjs`);
  await build({
    entryPoints: [resolve(root, path)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['ioredis', 'redis', '@opentelemetry/*'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'lua-source',
        setup(b) {
          b.onLoad({ filter: /\.lua$/ }, (args) => ({ contents: readLuaSource(args.path), loader: 'text' }));
        },
      },
    ],
  });
  return outfile;
}
