// Runs vitest projects as concurrent groups: each group is one `vitest run` process with its
// own redis-server processes (the harness starts them per project), so command counts never
// mix across groups, and within a group files still run one at a time. The tests spend most
// of their time waiting on Redis and timers, so two groups on two cores take little more
// than the longest group.
//
//   node scripts/test-projects.mjs standalone,cluster standalone-node-redis,cluster-node-redis
//   node scripts/test-projects.mjs standalone,cluster -- test/core     # files for every group
//
// Each group's output is buffered and printed whole when it ends, so groups do not
// interleave; exits with the first failing group's code.
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
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn('npx', argv, { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => out.push(d));
    child.on('close', (code, signal) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      process.stdout.write(`\n=== ${projects.join(' + ')}: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s ===\n`);
      process.stdout.write(Buffer.concat(out));
      done(code ?? (signal ? 1 : 0));
    });
  });
}

const codes = await Promise.all(groups.map(runGroup));
const failed = codes.find((c) => c !== 0);
process.exit(failed ?? 0);
