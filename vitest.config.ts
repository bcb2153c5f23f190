import { defineConfig } from 'vitest/config';
import { luaText } from './test/harness/lua-plugin.js';

// Each project gets its own redis-server processes, so command counts never mix.
const target = (name: string, env: Record<string, string>) => ({
  extends: true as const,
  test: { name, env, globalSetup: ['test/harness/global-setup.ts'] },
});

// RP_IOREDIS=6 runs everything that imports 'ioredis' (harness, tests, the library's own
// connect()) on ioredis 6, installed beside ioredis 5 as the npm alias 'ioredis6'. Child
// processes started by tests import the built package with plain Node and stay on ioredis 5.
const ioredisAlias: Record<string, string> = process.env.RP_IOREDIS === '6' ? { ioredis: 'ioredis6' } : {};

export default defineConfig({
  plugins: [luaText],
  resolve: { alias: ioredisAlias },
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time: command counts read INFO commandstats, which is per server.
    fileParallelism: false,
    testTimeout: 30000,
    hookTimeout: 60000,
    projects: [
      target('standalone', { RP_TARGET: 'standalone', RP_DRIVER: 'ioredis' }),
      target('cluster', { RP_TARGET: 'cluster', RP_DRIVER: 'ioredis' }),
      target('standalone-node-redis', { RP_TARGET: 'standalone', RP_DRIVER: 'node-redis' }),
      target('cluster-node-redis', { RP_TARGET: 'cluster', RP_DRIVER: 'node-redis' }),
    ],
  },
});
