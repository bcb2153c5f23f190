import { defineConfig } from 'vitest/config';
import { luaText } from './test/harness/lua-plugin.js';

// StrykerJS runs one module's tests on the standalone project only: a single redis-server
// set per run keeps mutation testing within a 2-core machine. See scripts/mutate-ts.mjs.
export default defineConfig({
  plugins: [luaText],
  test: {
    include: ['test/**/*.test.ts'],
    // One file at a time: command counts read INFO commandstats, which is per server.
    fileParallelism: false,
    testTimeout: 30000,
    hookTimeout: 60000,
    env: { RP_TARGET: 'standalone', RP_DRIVER: 'ioredis' },
    globalSetup: ['test/harness/global-setup.ts'],
  },
});
