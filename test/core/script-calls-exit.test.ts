// The deadline timer holds the process open only while something waits: a process whose script
// calls were all answered exits at once after closing its connection, even with a long limit.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture } from '../harness/bundle-fixture.js';
import { driver, target, topology } from '../harness/redis.js';

const run = promisify(execFile);
let child = '';
beforeAll(async () => {
  child = await bundleFixture('test/core/fixtures/script-calls-child.ts');
});
afterAll(async () => {
  if (child) await rm(child, { force: true });
});

// One standalone server does: run once per driver.
describe.runIf(target === 'standalone')(`answered script calls via ${driver}`, () => {
  it('let the process exit at once after close, although their limit is a minute', async () => {
    const started = performance.now();
    const { stdout } = await run(process.execPath, [child, JSON.stringify({ url: topology().standaloneUrl, driver })], { timeout: 20_000 });
    expect(stdout.trim()).toBe('[1,[2],"ERR refused"]');
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
