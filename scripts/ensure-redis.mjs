// Makes sure a Redis can be had before tests, examples or benchmarks run: REDIS_URL set,
// or redis-server and redis-cli on PATH; otherwise installs Debian's redis-server as root,
// or stops with one line saying what to install. With RP_SERVER=valkey it checks for
// valkey-server and valkey-cli instead and only says what to install (Debian has them in
// bookworm-backports: adding an apt suite is for the machine's owner or .ci/run to decide).
import { execFileSync, spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (process.env.REDIS_URL) process.exit(0);
if (process.env.RP_SERVER === 'valkey') {
  if (has('valkey-server') && has('valkey-cli')) process.exit(0);
  console.error(
    'redis-patterns: RP_SERVER=valkey needs valkey-server and valkey-cli on PATH (Debian bookworm: apt-get install -t bookworm-backports valkey-server valkey-tools).',
  );
  process.exit(1);
}
if (has('redis-server') && has('redis-cli')) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && has('apt-get')) {
  console.log('redis-server not found: installing Debian package redis-server with apt-get ...');
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch {
    console.error('redis-patterns: apt-get could not install redis-server; install it (apt-get install redis-server) or set REDIS_URL.');
    process.exit(1);
  }
  if (has('redis-server') && has('redis-cli')) process.exit(0);
}
console.error(
  'redis-patterns: needs redis-server and redis-cli on PATH (Debian/Ubuntu: sudo apt-get install redis-server) or REDIS_URL set.',
);
process.exit(1);
