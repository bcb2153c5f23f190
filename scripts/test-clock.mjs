// Runs the date-sensitive tests with the wall clock of Node and of every redis-server the
// harness starts moved a year ahead and a year back, so a test that compares a fixed
// calendar date with the real clock fails today rather than on some future date.
//
//   npm run test:clock                 # the default files, +1 year and -1 year
//   npm run test:clock -- test/feed    # other files
//
// The clock is moved by test/harness/clock-shift/clock-shift.c, an LD_PRELOAD shim built
// here with the system C compiler. Before the tests run, this script checks that the shim
// really moves both Node's clock and Redis' TIME.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const YEAR_S = 365 * 86_400;
const SHIFTS = [YEAR_S, -YEAR_S];
const DEFAULT_FILES = [
  'test/counters',
  'test/streaks',
  'test/leaderboard',
  'test/feed',
  'test/session',
  'test/state-machine',
  'test/offload',
];

const files = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT_FILES;
const shim = buildShim();
for (const shift of SHIFTS) {
  const env = { ...process.env, LD_PRELOAD: shim, CLOCK_SHIFT_SECONDS: String(shift) };
  await assertShifted(env, shift);
  console.log(`\n=== clock moved by ${shift > 0 ? '+' : ''}${shift / 86_400} days ===`);
  const run = spawnSync('npx', ['vitest', 'run', '--project', 'standalone', ...files], { cwd: root, env, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

function buildShim() {
  const out = join(root, 'node_modules', '.cache', 'redis-patterns', 'clock-shift.so');
  mkdirSync(dirname(out), { recursive: true });
  const cc = process.env.CC ?? 'cc';
  try {
    execFileSync(cc, ['-shared', '-fPIC', '-O2', '-o', out, join(root, 'test/harness/clock-shift/clock-shift.c')], { stdio: 'inherit' });
  } catch {
    console.error(`test:clock needs a C compiler (${cc}): install gcc (Debian: apt-get install gcc)`);
    process.exit(1);
  }
  return out;
}

// Both clocks the code under test reads must have moved, or the run proves nothing.
async function assertShifted(env, shift) {
  const nodeNow = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], { env }).toString());
  expectNear('Node Date.now()', nodeNow - Date.now(), shift * 1000);
  expectNear('Redis TIME', (await redisTime(env)) - Date.now(), shift * 1000);
}

async function redisTime(env) {
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    env,
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 200; i++) {
      const reply = spawnSync('redis-cli', ['-p', String(port), 'TIME']);
      const [s, us] = reply.stdout.toString().trim().split('\n').map(Number);
      if (reply.status === 0 && s > 0) return s * 1000 + Math.floor(us / 1000);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('redis-server under the clock shim did not answer');
  } finally {
    server.kill('SIGKILL');
  }
}

function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

function expectNear(what, actualMs, expectedMs) {
  if (Math.abs(actualMs - expectedMs) > 60_000) {
    console.error(`${what} moved by ${actualMs} ms, expected about ${expectedMs} ms: the clock shim does not work here`);
    process.exit(1);
  }
  console.log(`${what}: moved by ${Math.round(actualMs / 86_400_000)} days`);
}
