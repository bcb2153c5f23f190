import type { Reporter, Vitest } from 'vitest/node';

/**
 * Reports a test file that failed to load as one failed test, for mutation testing only
 * (vitest.stryker.config.ts). Stryker's vitest runner judges a mutant by the tests vitest
 * collected; a static mutant that makes a module throw on import (a script defined with bad
 * options, a constant that fails validation) leaves its test files with no tests at all, and
 * the runner then scores the mutant as survived although every test of the file failed to run.
 */
export class LoadFailuresAsTests implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(): void {
    // The files Stryker's runner reads its results from.
    for (const file of this.vitest?.state.getFiles() ?? []) {
      if (file.result?.state !== 'fail' || file.tasks.length > 0) continue;
      const errors = file.result.errors ?? [{ message: 'the test file failed to load' }];
      // The shape Stryker reads: a test task with a failed result, named within its file.
      file.tasks.push({
        type: 'test',
        id: `${file.id}_load`,
        name: 'loads',
        mode: 'run',
        file,
        suite: undefined,
        context: undefined,
        meta: {},
        timeout: 0,
        annotations: [],
        artifacts: [],
        fullTestName: 'loads',
        result: { state: 'fail', errors },
      } as unknown as (typeof file.tasks)[number]);
    }
  }
}
