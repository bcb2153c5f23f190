// `npm run bench [name ...]`: starts a dedicated redis-server (unless REDIS_URL is set),
// runs every bench/*.bench.ts (or those named), prints one markdown table and writes
// bench/RESULTS.md. Benchmarks are not tests: nothing here asserts a time.
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRedis } from '../scripts/lib/redis-servers.js';
import { CommandStats } from './lib/commandstats.js';
import { measure } from './lib/measure.js';
import type { BenchCase, BenchContext, BenchFile, BenchRow } from './lib/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort((a, b) => (a.startsWith('raw') ? -1 : b.startsWith('raw') ? 1 : a.localeCompare(b)));

const server = process.env.REDIS_URL ? undefined : await startRedis();
const redisUrl = process.env.REDIS_URL ?? (server?.url as string);
const stats = new CommandStats(redisUrl);
const rows: BenchRow[] = [];
const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);

const ctx: BenchContext = {
  redisUrl,
  durationMs,
  async run(c: BenchCase) {
    const before = await stats.total();
    const m = await measure({ concurrency: c.concurrency, durationMs, op: c.op });
    const after = await stats.total();
    // Warm-up calls are counted too, so divide by every call made, not only the measured ones.
    const row: BenchRow = {
      ...m,
      suite: c.suite,
      operation: c.operation,
      library: c.library,
      concurrency: c.concurrency,
      commandsPerOp: 0,
    };
    row.commandsPerOp = (after - before) / Math.max(1, m.ops + m.warmupOps);
    if (c.reference) row.comparedTo = c.reference;
    rows.push(row);
    console.error(`  ${c.suite} | ${c.operation} | ${c.library} | c=${c.concurrency}: ${Math.round(m.opsPerSec)} ops/s`);
    return row;
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
  if (!r.comparedTo) continue;
  const ref = rows.find(
    (o) => o.suite === r.suite && o.operation === r.operation && o.concurrency === r.concurrency && o.library === r.comparedTo,
  );
  if (ref) r.ratio = r.opsPerSec / ref.opsPerSec;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const lines = [
  '| suite | operation | library | concurrency | ops/s | p50 ms | p99 ms | cmds/op | ratio |',
  '|---|---|---|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.suite} | ${r.operation} | ${r.library} | ${r.concurrency} | ${fmt(r.opsPerSec)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.commandsPerOp, 2)} | ${
        r.ratio === undefined ? '' : `${fmt(r.ratio, 2)}x ${r.comparedTo}`
      }${r.errors ? ` (${r.errors} errors)` : ''} |`,
  ),
];
const table = lines.join('\n');
console.log(table);
const header = `# Benchmark results\n\nMeasured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores, a local redis-server over loopback, ${durationMs} ms per case after a 300 ms warm-up. Timings on a shared machine are noisy: compare ratios within one run.\n\n`;
if (only.length === 0) writeFileSync(join(here, 'RESULTS.md'), `${header}${table}\n`);
