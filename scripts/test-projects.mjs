// Runs vitest projects as concurrent groups: each group is one `vitest run` process with its
// own redis-server processes (the harness starts them per project), so command counts never
// mix across groups, and within a group files still run one at a time. The tests spend most
// of their time waiting on Redis and timers, so two groups on two cores take little more
// than the longest group.
//
//   node scripts/test-projects.mjs standalone,cluster standalone-node-redis,cluster-node-redis
//   node scripts/test-projects.mjs standalone,cluster -- test/core     # files for every group
//
// Every line of a group's output is prefixed with its projects; exits with the first failing
// group's code.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const split = args.indexOf('--');
const groups = (split === -1 ? args : args.slice(0, split)).map((g) => g.split(',').filter(Boolean));
const files = split === -1 ? [] : args.slice(split + 1);
if (groups.length === 0 || groups.some((g) => g.length === 0)) {
  console.error('usage: node scripts/test-projects.mjs <project,project> [<project,...> ...] [-- files]');
  process.exit(2);
}

function runGroup(projects) {
  const argv = ['vitest', 'run', ...projects.flatMap((p) => ['--project', p]), ...files];
  const label = `[${projects.join('+')}]`;
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn('npx', argv, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) process.stdout.write(`${label} ${line}\n`);
      });
      stream.on('end', () => rest && process.stdout.write(`${label} ${rest}\n`));
    }
    child.on('close', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stdout.write(`${label} ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s\n`);
      done(code ?? (signal ? 1 : 0));
    });
  });
}

const codes = await Promise.all(groups.map(runGroup));
const failed = codes.find((c) => c !== 0);
process.exit(failed ?? 0);
