// `npm run bench [name ...]`: starts a dedicated redis-server (unless REDIS_URL is set),
// runs every bench/*.bench.ts (or those named), prints one markdown table and writes
// bench/RESULTS.md. Benchmarks are not tests: nothing here asserts a time.
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRedis } from '../scripts/lib/redis-servers.js';
import { CommandStats } from './lib/commandstats.js';
import { type Measurement, measure, percentile } from './lib/measure.js';
import type { BenchCase, BenchContext, BenchFile, BenchRow } from './lib/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort((a, b) => (a.startsWith('raw') ? -1 : b.startsWith('raw') ? 1 : a.localeCompare(b)));

const startedAt = performance.now();
const server = process.env.REDIS_URL ? undefined : await startRedis();
const redisUrl = process.env.REDIS_URL ?? (server?.url as string);
const stats = new CommandStats(redisUrl);
const rows: BenchRow[] = [];
const sections: string[] = [];
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);

const rounds = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));

// One measurement of one case, with the commands it caused on the bench server.
async function measured(c: BenchCase, ms: number, warmupMs: number): Promise<{ m: Measurement; commands: number; cpuUs: number }> {
  await c.setup?.();
  // A full collection first (`node --expose-gc`), so no case pays for the garbage of the one before.
  (globalThis as { gc?: () => void }).gc?.();
  try {
    const before = await stats.total();
    const m = await measure({ concurrency: c.concurrency, durationMs: ms, warmupMs, op: c.op });
    const after = await stats.total();
    return { m, commands: after.calls - before.calls, cpuUs: after.cpuUs - before.cpuUs };
  } finally {
    await c.teardown?.();
  }
}

function toRow(c: BenchCase, m: Omit<Measurement, 'latencies'>, commands: number, cpuUs: number): BenchRow {
  // Warm-up calls are counted too, so divide by every call made, not only the measured ones.
  const row: BenchRow = {
    ops: m.ops,
    elapsedMs: m.elapsedMs,
    warmupOps: m.warmupOps,
    opsPerSec: m.opsPerSec,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    errors: m.errors,
    suite: c.suite,
    operation: c.operation,
    library: c.library,
    concurrency: c.concurrency,
    commandsPerOp: commands / Math.max(1, m.ops + m.warmupOps),
    redisUsPerOp: cpuUs / Math.max(1, m.ops + m.warmupOps),
  };
  if (c.reference) row.comparedTo = c.reference;
  rows.push(row);
  console.error(`  ${c.suite} | ${c.operation} | ${c.library} | c=${c.concurrency}: ${Math.round(m.opsPerSec)} ops/s`);
  return row;
}

const ctx: BenchContext = {
  redisUrl,
  durationMs,
  section(title: string, markdown: string) {
    sections.push(`## ${title}\n\n${markdown.trim()}\n`);
    console.error(`  section: ${title}`);
  },
  async run(c: BenchCase) {
    const { m, commands, cpuUs } = await measured(c, durationMs, 300);
    return toRow(c, m, commands, cpuUs);
  },
  async compare(cases: readonly BenchCase[]) {
    const perCase = cases.map(() => ({
      rates: [] as number[],
      latencies: [] as number[],
      ops: 0,
      warmupOps: 0,
      elapsedMs: 0,
      errors: 0,
      commands: 0,
      cpuUs: 0,
    }));
    for (const [k, c] of cases.entries()) {
      const { m, commands, cpuUs } = await measured(c, 0, 300);
      const acc = perCase[k] as (typeof perCase)[number];
      acc.warmupOps += m.warmupOps + m.ops;
      acc.commands += commands;
      acc.cpuUs += cpuUs;
    }
    const slice = durationMs / rounds;
    for (let r = 0; r < rounds; r++) {
      for (let n = 0; n < cases.length; n++) {
        const k = (n + r) % cases.length;
        const { m, commands, cpuUs } = await measured(cases[k] as BenchCase, slice, 0);
        const acc = perCase[k] as (typeof perCase)[number];
        acc.rates.push(m.opsPerSec);
        for (const l of m.latencies) acc.latencies.push(l);
        acc.ops += m.ops;
        acc.elapsedMs += m.elapsedMs;
        acc.errors += m.errors;
        acc.commands += commands;
        acc.cpuUs += cpuUs;
      }
    }
    const group = cases.map((c, k) => {
      const acc = perCase[k] as (typeof perCase)[number];
      acc.latencies.sort((a, b) => a - b);
      const rates = [...acc.rates].sort((a, b) => a - b);
      const median = rates[Math.floor(rates.length / 2)] ?? 0;
      return toRow(
        c,
        {
          ops: acc.ops,
          elapsedMs: acc.elapsedMs,
          warmupOps: acc.warmupOps,
          opsPerSec: median,
          p50Ms: percentile(acc.latencies, 0.5),
          p99Ms: percentile(acc.latencies, 0.99),
          errors: acc.errors,
        },
        acc.commands,
        acc.cpuUs,
      );
    });
    // Ratios within the group: the same reference name may appear in other groups.
    for (const row of group) {
      const ref = group.find((o) => o.library === row.comparedTo);
      if (ref) row.ratio = row.opsPerSec / ref.opsPerSec;
    }
    return group;
  },
};

try {
  for (const f of files) {
    console.error(`bench ${f}`);
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { default: BenchFile };
    await mod.default(ctx);
  }
} finally {
  await stats.close();
  await server?.stop();
}

for (const r of rows) {
  if (!r.comparedTo || r.ratio !== undefined) continue;
  const ref = rows.find(
    (o) => o.suite === r.suite && o.operation === r.operation && o.concurrency === r.concurrency && o.library === r.comparedTo,
  );
  if (ref) r.ratio = r.opsPerSec / ref.opsPerSec;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  '| suite | operation | library | concurrency | ops/s | p50 ms | p99 ms | cmds/op | Redis µs/op | ratio |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.suite} | ${r.operation} | ${r.library} | ${r.concurrency} | ${fmt(r.opsPerSec)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.commandsPerOp, 2)} | ${fmt(r.redisUsPerOp, 1)} | ${
        r.ratio === undefined ? '' : `${fmt(r.ratio, 2)}x ${r.comparedTo}`
      }${r.errors ? ` (${r.errors} errors)` : ''} |`,
  ),
];
const table = [lines.join('\n'), ...sections].join('\n\n');
console.log(table);
const header = `# Benchmark results\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, a local redis-server over loopback, ${durationMs} ms per case after a 300 ms warm-up; cases compared side by side run in ${rounds} alternating rounds (order rotated each round) and report the median round's ops/s. Suites: ${files.map((f) => f.replace('.bench.ts', '')).join(', ')}; the run took ${Math.round((performance.now() - startedAt) / 60_000)} min. Timings on a shared machine are noisy: compare ratios within one run.\n\n`;
if (only.length === 0) writeFileSync(join(here, 'RESULTS.md'), `${header}${table}\n`);

// A peer library that leaves a socket or timer open would keep the process alive once the
// results are written: name what is left, then exit (the timer itself holds nothing open).
setTimeout(() => {
  console.error(`bench: still open 5 s after the run, closed by exiting: ${process.getActiveResourcesInfo().join(', ')}`);
  process.exit(0);
}, 5000).unref();
