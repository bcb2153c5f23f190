// StrykerJS settings for `npm run mutate:ts -- <module>`: scripts/mutate-ts.mjs adds `mutate`
// and `testFiles` for that one module. One test runner (concurrency 1): each runner starts
// its own redis-servers, and the machine has 2 cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // The standalone project only; `related: false` because testFiles already picks the tests.
  vitest: { configFile: 'vitest.stryker.config.ts', related: false },
  coverageAnalysis: 'perTest',
  concurrency: 1,
  // Tests wait on real Redis time (windows, TTLs): a slow mutant is not an infinite loop.
  timeoutFactor: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/ts.html' },
  // docs/ stays: tests read the guides' code blocks. Its generated API reference does not.
  ignorePatterns: ['docs/api', 'bench', 'examples', 'coverage', 'reports'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
