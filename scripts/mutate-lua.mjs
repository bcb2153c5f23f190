// Mutation testing of one module's Lua scripts: for each one-line mutant of each
// src/<module>/scripts/*.lua (scripts/lib/lua-mutants.mjs), writes the mutant, runs that
// module's tests on the standalone project (stopping at the first failure) and puts the
// original back. A surviving mutant is a change no test notices. Too slow for CI: run it by
// hand after changing a script (docs/contributing.md, "Mutation testing").
//
//   npm run mutate:lua -- streaks
//   npm run mutate:lua -- queue ack fetch      (only src/queue/scripts/ack.lua and fetch.lua)
//
// Before the mutants, each script is probed once: it is made to fail on every call and the whole
// suite runs; the test files that notice are the only ones that can notice a mutant of that
// script, so each mutant runs just those (a survivor is confirmed on the whole suite).
// Equivalent mutants (no behaviour to test) are listed in scripts/mutate-lua.allow.json and
// reported apart. The original file is restored after each mutant, on Ctrl-C and on errors;
// after a hard kill, the next run restores it from its backup first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyMutant, luaMutants } from './lib/lua-mutants.mjs';
import { moduleArg, testsUseBuild } from './lib/module-tests.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const name = moduleArg(root, 'npm run mutate:lua --');
const work = join(root, 'node_modules', '.cache', 'redis-patterns', 'mutate-lua');
const backups = join(work, 'backups');
const resultFile = join(work, 'vitest.json');
mkdirSync(backups, { recursive: true });

// ---- keeping the sources intact ------------------------------------------------------

const backupOf = (file) => join(backups, encodeURIComponent(relative(root, file)));
let mutated; // { file, original } while a mutant is on disk
let running; // the test run in progress

function restore() {
  if (!mutated) return;
  writeFileSync(mutated.file, mutated.original);
  unlinkSync(backupOf(mutated.file));
  mutated = undefined;
}

function stopTests() {
  // The run is its own process group (npx, vitest, its workers and redis-servers): end all of it.
  if (running?.exitCode === null) process.kill(-running.pid, 'SIGKILL');
}

// A run killed outright (SIGKILL, power loss) left a mutant on disk: put the original back first.
for (const entry of readdirSync(backups)) {
  const file = join(root, decodeURIComponent(entry));
  writeFileSync(file, readFileSync(join(backups, entry)));
  unlinkSync(join(backups, entry));
  console.log(`restored ${relative(root, file)} left mutated by an interrupted run`);
}
process.on('exit', () => {
  stopTests();
  restore();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));

// ---- running the tests ---------------------------------------------------------------------

const sh = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status === 0;
const needsBuild = testsUseBuild(root, name);

/**
 * Runs the module's tests (or just `files`), stopping at the first failure unless `bail` is
 * false: `{ passed, timedOut, ms }` and what its report says (see {@link readReport}).
 */
function runTests(timeoutMs, { files = [`test/${name}`], bail = true, testTimeoutMs } = {}) {
  rmSync(resultFile, { force: true });
  const args = ['vitest', 'run', ...files, '--project', 'standalone', '--reporter', 'json', '--outputFile', resultFile];
  if (bail) args.push('--bail', '1');
  if (testTimeoutMs) args.push('--testTimeout', String(testTimeoutMs));
  const started = Date.now();
  return new Promise((done) => {
    running = spawn('npx', args, { cwd: root, detached: true, stdio: 'ignore' });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopTests();
    }, timeoutMs);
    running.on('close', (code) => {
      clearTimeout(timer);
      done({ passed: code === 0 && !timedOut, timedOut, ms: Date.now() - started, ...readReport() });
    });
  });
}

/**
 * The last run's JSON report, read once: `failed` (the first failing test or error),
 * `failedFiles` (files with a failed test or that failed to run; `undefined` without a
 * report) and `slowestTestMs` (the longest single test, 0 without a report).
 */
function readReport() {
  if (!existsSync(resultFile)) return { failed: 'no test report (the run crashed)', failedFiles: undefined, slowestTestMs: 0 };
  const results = JSON.parse(readFileSync(resultFile, 'utf8')).testResults ?? [];
  const fileFailed = (file) => file.status === 'failed' || file.assertionResults?.some((t) => t.status === 'failed');
  const first = results.find(fileFailed);
  const test = first?.assertionResults?.find((t) => t.status === 'failed');
  const failed = test
    ? test.fullName
    : first
      ? `${relative(root, first.name)}: ${String(first.message).split('\n')[0]}`
      : 'an error outside the tests';
  return {
    failed,
    failedFiles: results
      .filter(fileFailed)
      .map((file) => relative(root, file.name))
      .sort(),
    slowestTestMs: Math.max(0, ...results.flatMap((file) => (file.assertionResults ?? []).map((t) => t.duration ?? 0))),
  };
}

// ---- the mutants -------------------------------------------------------------------------

const scripts = join(root, 'src', name, 'scripts');
const only = process.argv.slice(3).map((f) => (f.endsWith('.lua') ? f : `${f}.lua`));
const files = existsSync(scripts)
  ? readdirSync(scripts)
      .filter((f) => f.endsWith('.lua') && (only.length === 0 || only.includes(f)))
      .sort()
  : [];
const unknown = only.filter((f) => !files.includes(f));
if (unknown.length > 0) {
  console.error(`src/${name}/scripts has no ${unknown.join(', ')}`);
  process.exit(2);
}
const mutants = files.flatMap((f) => {
  const file = join(scripts, f);
  return luaMutants(readFileSync(file, 'utf8')).map((m) => ({ ...m, file, path: relative(root, file) }));
});
const allowList = JSON.parse(readFileSync(join(root, 'scripts', 'mutate-lua.allow.json'), 'utf8')).equivalent;
const allowed = (m) =>
  allowList.find(
    (a) =>
      a.file === m.path &&
      a.line === m.original.trim() &&
      a.mutation === m.mutation &&
      (a.occurrence === undefined || a.occurrence === m.occurrence) &&
      a.reason,
  );
const stale = allowList.filter((a) => files.some((f) => a.file === `src/${name}/scripts/${f}`) && !mutants.some((m) => allowed(m) === a));

if (mutants.length === 0) {
  console.log(`src/${name}/scripts has no Lua to mutate.`);
  process.exit(0);
}
if (!sh('node', ['scripts/ensure-redis.mjs']) || (needsBuild && !sh('npm', ['run', 'build']))) process.exit(1);
const baseline = await runTests(600_000);
if (!baseline.passed) {
  console.error(`test/${name} fails without any mutant (${baseline.failed}): fix that first.`);
  process.exit(1);
}
// Tests wait on real Redis time, so a mutant may run slower; past this it is taken for a hang.
const timeoutMs = Math.max(60_000, 3 * baseline.ms);
console.log(
  `${mutants.length} mutants in ${files.length} scripts; tests take ${(baseline.ms / 1000).toFixed(1)} s, timeout ${timeoutMs / 1000} s`,
);
if (needsBuild) console.log(`test/${name} loads the built package: rebuilding for every mutant`);

/** Writes `source` over `file` (the original kept for restore()) and rebuilds when the tests need it. */
function writeMutated(file, source) {
  const original = readFileSync(file, 'utf8');
  writeFileSync(backupOf(file), original);
  mutated = { file, original };
  writeFileSync(file, source);
  // JavaScript only: the module's tests never read the type declarations, and building them
  // took most of each mutant's time.
  return !needsBuild || sh('npx', ['tsup', '--no-dts', '--silent']);
}

// The probes: which test files notice when a script fails on every call. Only those can notice
// a mutant of it. A probe whose run fails without naming a file (a crash, a timeout) keeps the
// whole suite for that script. A probe does not stop at the first failure, and a test whose
// worker keeps retrying a failing script waits for its timeout: a short one (twice the slowest
// test of the clean run, at least 5 s) keeps the probe short without cutting off a test that
// passes.
const watchers = new Map();
const whole = [`test/${name}`];
const probeTestTimeoutMs = Math.max(5000, Math.ceil(2 * baseline.slowestTestMs));
for (const f of files) {
  const file = join(scripts, f);
  if (!mutants.some((m) => m.file === file && !allowed(m))) continue; // nothing to run
  const built = writeMutated(file, `error('mutation probe')\n${readFileSync(file, 'utf8')}`);
  const run = built ? await runTests(Math.max(timeoutMs, 300_000), { bail: false, testTimeoutMs: probeTestTimeoutMs }) : { timedOut: true };
  restore();
  const noticed = !run.timedOut && run.failedFiles?.length ? run.failedFiles : whole;
  watchers.set(file, noticed);
  console.log(`probe ${relative(root, file)}: ${noticed === whole ? 'the whole suite' : noticed.join(' ')}`);
}

const results = { killed: [], survived: [], timedOut: [], equivalent: [] };
const where = (m) => `${m.path}:${m.line}  ${m.mutation}${m.occurrence ? ` (occurrence ${m.occurrence})` : ''}  | ${m.original.trim()}`;
const started = Date.now();
try {
  for (const [i, m] of mutants.entries()) {
    const reason = allowed(m)?.reason;
    if (reason) {
      results.equivalent.push({ ...m, reason });
      continue;
    }
    const subset = watchers.get(m.file) ?? whole;
    let run = writeMutated(m.file, applyMutant(readFileSync(m.file, 'utf8'), m))
      ? await runTests(timeoutMs, { files: subset })
      : { passed: false, failed: 'build failed' };
    // The probe can miss a file whose failures a retry hides: a survivor must pass everything.
    if (run.passed && subset !== whole) run = await runTests(timeoutMs);
    restore();
    const status = run.timedOut ? 'timedOut' : run.passed ? 'survived' : 'killed';
    results[status].push({ ...m, by: run.failed });
    const label = { killed: 'killed  ', survived: 'SURVIVED', timedOut: 'timeout ' }[status];
    console.log(`[${i + 1}/${mutants.length}] ${label} ${where(m)}${status === 'killed' ? `\n      by: ${run.failed}` : ''}`);
  }
} finally {
  restore();
  // dist/ was built from mutants: leave it built from the real sources.
  if (needsBuild) sh('npm', ['run', 'build', '--silent']);
}

// ---- report ---------------------------------------------------------------------------------

const { killed, survived, timedOut, equivalent } = results;
const tested = killed.length + survived.length + timedOut.length;
const score = tested ? (100 * (killed.length + timedOut.length)) / tested : 100;
console.log(`\nLua mutation testing of ${name}: ${Math.round((Date.now() - started) / 1000)} s`);
for (const m of survived) console.log(`  survived    ${where(m)}`);
for (const m of timedOut) console.log(`  timed out   ${where(m)}`);
for (const m of equivalent) console.log(`  equivalent  ${where(m)}\n              ${m.reason}`);
for (const a of stale) console.log(`  allow-list entry matches no mutant any more: ${a.file}: ${a.line} (${a.mutation})`);
console.log(
  `killed ${killed.length}, timed out ${timedOut.length}, survived ${survived.length}, equivalent ${equivalent.length}: score ${score.toFixed(1)}% (killed + timed out of ${tested} tested)`,
);
process.exitCode = survived.length > 0 ? 1 : 0;
