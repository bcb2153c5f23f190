import { readdirSync, statSync } from 'node:fs';
import { defineConfig } from 'tsup';

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
  loader: { '.lua': 'text' },
  external: ['ioredis', 'redis'],
});
