// The one deadline timer holds the process open only while something waits: a process that
// waits on a time limit stays until it expires, and one whose calls all settled exits at once,
// even with a long limit. Each case runs core's source in a child process of its own.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { target } from '../harness/redis.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

async function child(code: string): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, timeout: 20_000 });
  return { stdout: stdout.trim(), ms: performance.now() - started };
}

const imports = "import { timeLimit } from './src/core/time-limit.ts';";

// No Redis involved: one topology runs it.
describe.runIf(target === 'standalone')('the deadline timer', () => {
  it('keeps the process alive while a time limit waits, until it expires', async () => {
    const { stdout } = await child(
      `${imports}
const started = performance.now();
timeLimit(new Promise(() => {}), 300, () => new Error('late')).catch((e) => console.log(e.message, performance.now() - started >= 299));`,
    );
    expect(stdout).toBe('late true');
  });

  it('still holds the process for a later limit after a call settled past its own (settled twice)', async () => {
    const { stdout } = await child(
      `${imports}
const slow = new Promise((resolve) => setTimeout(resolve, 60));
await timeLimit(slow, 10, () => new Error('first')).catch(() => {});
await slow;
timeLimit(new Promise(() => {}), 300, () => new Error('late')).catch((e) => console.log(e.message));`,
    );
    expect(stdout).toBe('late');
  });

  it('holds the process for a longer limit added while the timer still waits for a settled shorter one', async () => {
    const { stdout } = await child(
      `${imports}
await timeLimit(Promise.resolve(1), 300, () => new Error('first'));
timeLimit(new Promise(() => {}), 1000, () => new Error('late')).catch((e) => console.log(e.message));`,
    );
    expect(stdout).toBe('late');
  });

  it('lets the process exit once a long limit and a shorter one added after it both settled', async () => {
    const { stdout, ms } = await child(
      `${imports}
const long = timeLimit(new Promise((resolve) => setTimeout(resolve, 50)), 60_000, () => new Error('late'));
await timeLimit(Promise.resolve(1), 10, () => new Error('late'));
await long;
console.log('settled');`,
    );
    expect(stdout).toBe('settled');
    expect(ms).toBeLessThan(15_000);
  });

  it('lets the process exit once every limited call settled, whatever the limit', async () => {
    const { stdout, ms } = await child(
      `${imports}
await timeLimit(Promise.resolve(1), 60_000, () => new Error('late'));
await timeLimit(Promise.reject(new Error('failed')), 60_000, () => new Error('late')).catch(() => {});
console.log('settled');`,
    );
    expect(stdout).toBe('settled');
    expect(ms).toBeLessThan(15_000);
  });
});
