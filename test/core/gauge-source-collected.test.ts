// Gauge sources are held weakly, so that a queue or breaker the app dropped is not kept alive by
// telemetry: once collected, it is skipped and forgotten, and the exporter reading gauges never
// meets a missing source. Garbage collection is forced in a child process of its own.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { target } from '../harness/redis.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

const code = `
import { addGaugeSource, liveGaugeSources } from './src/core/telemetry.ts';
const kept = { module: 'queue', attributes: {}, read: () => ({ backlog: 1 }) };
addGaugeSource(kept);
(() => addGaugeSource({ module: 'queue', attributes: {}, read: () => ({ backlog: 2 }) }))();
// A WeakRef holds its target until the job that created it ends.
await new Promise((r) => setTimeout(r, 0));
globalThis.gc();
await new Promise((r) => setTimeout(r, 0));
const read = await Promise.all(liveGaugeSources().map((s) => s.read()));
console.log(JSON.stringify(read), liveGaugeSources().length);
`;

// No Redis involved: one topology runs it.
describe.runIf(target === 'standalone')('a gauge source whose owner was garbage collected', () => {
  it('is no longer listed, and the live ones still are', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('[{"backlog":1}] 1');
  });
});
