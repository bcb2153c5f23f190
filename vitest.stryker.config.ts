import { defineConfig } from 'vitest/config';
import { LoadFailuresAsTests } from './test/harness/load-failures-reporter.js';
import { luaText } from './test/harness/lua-plugin.js';

// StrykerJS runs one module's tests on the standalone project only: a single redis-server
// set per run keeps mutation testing within a 2-core machine. See scripts/mutate-ts.mjs.
// The module's tests are chosen here, not with Stryker's `testFiles`: with a test filter,
// Stryker 9.6 activates static mutants (module-level values) only after their module has
// loaded and reports them as survived (stryker-js#6144). The telemetry tests come too: they
// check every module's operation names and outcomes, which its own tests leave to them.
const module = process.env.RP_MUTATE_MODULE;

export default defineConfig({
  plugins: [luaText],
  test: {
    include: module ? [`test/${module}/**/*.test.ts`, 'test/otel/**/*.test.ts'] : ['test/**/*.test.ts'],
    // One file at a time: command counts read INFO commandstats, which is per server.
    fileParallelism: false,
    testTimeout: 30000,
    hookTimeout: 60000,
    // ioredis unless RP_DRIVER says otherwise: the node-redis adapter needs its own run.
    env: { RP_TARGET: 'standalone', RP_DRIVER: process.env.RP_DRIVER ?? 'ioredis' },
    globalSetup: ['test/harness/global-setup.ts'],
    // A mutant that stops a test file from loading kills it (see the reporter).
    reporters: ['default', new LoadFailuresAsTests()],
  },
});
