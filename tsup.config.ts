import { readdirSync, statSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { readLuaSource } from './scripts/lib/lua-source.js';

// One entry per module folder with an index.ts, plus the core root entry.
const modules = readdirSync('src').filter((d) => d !== 'core' && statSync(`src/${d}`).isDirectory());
const entry: Record<string, string> = { index: 'src/index.ts' };
for (const m of modules) entry[`${m}/index`] = `src/${m}/index.ts`;

export default defineConfig({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  splitting: true,
  treeshake: true,
  sourcemap: false,
  target: 'node20',
  // Error classes with static members would otherwise be renamed (`_CommandTimeoutError`),
  // and `error.name` (in logs and stack traces) comes from the class name.
  keepNames: true,
  // `.lua` files become strings with their `--- @include` lines expanded, exactly as the tests load them.
  esbuildPlugins: [
    {
      name: 'lua-source',
      setup(build) {
        build.onLoad({ filter: /\.lua$/ }, (args) => ({ contents: readLuaSource(args.path), loader: 'text' }));
      },
    },
  ],
  external: ['ioredis', 'redis', '@opentelemetry/api'],
});
