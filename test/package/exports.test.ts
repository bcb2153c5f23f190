// Every entry of the built package loads from both module systems.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { driver, target } from '../harness/redis.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> };
const entries = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'redis-patterns' : `redis-patterns/${k.slice(2)}`));

describe.runIf(target === 'standalone' && driver === 'ioredis')('package entries', () => {
  for (const entry of entries) {
    it(`${entry} loads with require() and import`, () => {
      const cjs = execFileSync(process.execPath, ['-e', `console.log(Object.keys(require('${entry}')).length)`], { encoding: 'utf8' });
      const esm = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', `const m = await import('${entry}'); console.log(Object.keys(m).length)`],
        {
          encoding: 'utf8',
        },
      );
      expect(Number(cjs)).toBeGreaterThan(0);
      expect(Number(esm)).toBe(Number(cjs));
    });
  }

  it('the root entry exports RedisConnection in both systems', () => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import { RedisConnection } from 'redis-patterns'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url)('redis-patterns'); console.log(typeof RedisConnection, typeof r.RedisConnection)",
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('function function');
  });

  it('error classes keep their names in both systems (error.name is what logs and spans show)', () => {
    const names = ['CommandTimeoutError', 'RedisUnavailableError', 'ValidationError', 'ReplicationError', 'RedisOutOfMemoryError'];
    const script = `import * as m from 'redis-patterns'; import { createRequire } from 'node:module'; const r = createRequire(import.meta.url)('redis-patterns'); console.log(JSON.stringify(${JSON.stringify(names)}.map((n) => [m[n].name, new r[n]('x').name])))`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual(names.map((n) => [n, n]));
  });
});
