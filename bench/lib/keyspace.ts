// What a bench leaves in Redis: keys found by SCAN on a prefix, their MEMORY USAGE,
// their TTLs, grouped by kind; INFO memory and INFO keyspace readings; and a pump that
// runs many operations with a bounded number in flight. Used by the memory, growth and
// scale benches.
import type { Redis } from 'ioredis';

/** Largest population the scale benches build (env BENCH_SCALE_MAX, default 1,000,000). */
export const SCALE_MAX = Math.max(1000, Math.floor(Number(process.env.BENCH_SCALE_MAX ?? 1_000_000)));

const CHUNK = 1000;

/** Every key matching `pattern` (SCAN, never KEYS). SCAN also drops expired keys it meets. */
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
    cursor = next;
    for (const k of keys) out.push(k);
  } while (cursor !== '0');
  return out;
}

/** One command per key, pipelined in chunks; replies in order (an error reply becomes `null`). */
async function perKey(client: Redis, keys: readonly string[], command: (k: string) => (string | number)[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const p = client.pipeline();
    for (const k of keys.slice(i, i + CHUNK)) {
      const [name, ...args] = command(k);
      p.call(name as string, ...args);
    }
    for (const [err, value] of (await p.exec()) ?? []) out.push(err ? null : value);
  }
  return out;
}

/** `MEMORY USAGE <key> SAMPLES 0` of each key (0 for a key gone meanwhile): the value, key name and dict entry, exactly. */
export async function memoryUsage(client: Redis, keys: readonly string[]): Promise<number[]> {
  return (await perKey(client, keys, (k) => ['MEMORY', 'USAGE', k, 'SAMPLES', '0'])).map((v) => Number(v ?? 0));
}

/** `used_memory` of INFO memory, in bytes. */
export async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory');
  return Number(info.match(/^used_memory:(\d+)/m)?.[1] ?? 0);
}

/** `used_memory` once the server had a moment to release client buffers of the last pipelines. */
export async function settledUsedMemory(client: Redis): Promise<number> {
  await sleep(400);
  return usedMemory(client);
}

/** Keys and keys with a TTL in database `db` (INFO keyspace). */
export async function keyspace(client: Redis, db: number): Promise<{ keys: number; expires: number }> {
  const info = await client.info('keyspace');
  const m = info.match(new RegExp(`^db${db}:keys=(\\d+),expires=(\\d+)`, 'm'));
  return { keys: Number(m?.[1] ?? 0), expires: Number(m?.[2] ?? 0) };
}

/**
 * The kind of a key: its name without `prefix`, every hash tag shown as `{*}`, every
 * `:`-separated part that is a number or at least 16 characters (ids, hashes) as `*`.
 * Benches give their entities ids of 16 characters or more, so ids never name a kind.
 */
export function kindOf(key: string, prefix: string): string {
  const rest = key.startsWith(prefix) ? key.slice(prefix.length) : key;
  return rest
    .replace(/\{[^}]*\}/g, '{*}')
    .split(':')
    .map((part) => (/^\d+$/.test(part) || part.length >= 16 ? '*' : part))
    .join(':')
    .replace(/^:/, '');
}

/** Keys of one kind: how many, their bytes, and their TTLs. */
export interface KindSummary {
  kind: string;
  count: number;
  /** MEMORY USAGE of all of them (estimated from a sample when there are many). */
  bytes: number;
  /** Keys of the sample without a TTL, scaled to `count`. */
  forever: number;
  /** Longest TTL in the sample, ms (0 when none has one). */
  maxTtlMs: number;
  /** OBJECT ENCODING of the sample's first key (listpack, hashtable, skiplist, int, embstr, ...). */
  encoding: string;
}

export interface KeysSummary {
  keys: number;
  bytes: number;
  kinds: KindSummary[];
}

/**
 * Everything matching `prefix*`: keys by kind with their MEMORY USAGE and TTLs. Kinds of
 * more than `sample` keys are measured on an even sample of them and scaled up.
 */
export async function summarize(client: Redis, prefix: string, sample = 2000): Promise<KeysSummary> {
  const keys = await scanKeys(client, `${escapeGlob(prefix)}*`);
  const byKind = new Map<string, string[]>();
  for (const k of keys) {
    const kind = kindOf(k, prefix);
    const list = byKind.get(kind);
    if (list) list.push(k);
    else byKind.set(kind, [k]);
  }
  const kinds: KindSummary[] = [];
  for (const [kind, list] of byKind) {
    const step = Math.max(1, Math.floor(list.length / sample));
    const picked = list.filter((_, i) => i % step === 0).slice(0, sample);
    const [bytes, ttls, encoding] = await Promise.all([
      memoryUsage(client, picked),
      perKey(client, picked, (k) => ['PTTL', k]),
      client.call('OBJECT', 'ENCODING', picked[0] as string).catch(() => '?'),
    ]);
    const scale = list.length / Math.max(1, picked.length);
    const ttl = ttls.map((t) => Number(t ?? -2));
    kinds.push({
      kind,
      count: list.length,
      bytes: Math.round(bytes.reduce((a, b) => a + b, 0) * scale),
      forever: Math.round(ttl.filter((t) => t === -1).length * scale),
      maxTtlMs: ttl.reduce((a, b) => Math.max(a, b), 0),
      encoding: String(encoding ?? '?'),
    });
  }
  kinds.sort((a, b) => b.bytes - a.bytes);
  return { keys: keys.length, bytes: kinds.reduce((a, k) => a + k.bytes, 0), kinds };
}

/** Deletes every key matching `prefix*` (SCAN + UNLINK); resolves how many. */
export async function deletePrefix(client: Redis, prefix: string): Promise<number> {
  const keys = await scanKeys(client, `${escapeGlob(prefix)}*`);
  for (let i = 0; i < keys.length; i += CHUNK) await client.unlink(...keys.slice(i, i + CHUNK));
  return keys.length;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * Runs `op(i)` for i = 0, 1, ... with at most `inflight` calls in flight, until `n` calls
 * were made or `deadline` (performance.now() ms) passed. Resolves how many were made;
 * the first error rejects once the calls in flight settled.
 */
export async function pump(n: number, inflight: number, op: (i: number) => Promise<unknown>, deadline = Infinity): Promise<number> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < n && failure === undefined && performance.now() < deadline) {
      const i = next++;
      try {
        await op(i);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, n) }, worker));
  if (failure !== undefined) throw failure;
  return next;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A fixed-width id (at least 16 characters, so {@link kindOf} never takes it for a kind). */
export function entityId(label: string, i: number): string {
  return `${label}-${String(i).padStart(Math.max(10, 15 - label.length), '0')}`;
}

const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const nf1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export const fmt = {
  int: (n: number) => nf0.format(n),
  one: (n: number) => nf1.format(n),
  two: (n: number) => nf2.format(n),
  /** Bytes as B, KB, MB (1024-based). */
  bytes(n: number): string {
    const a = Math.abs(n);
    if (a < 10_000) return `${nf0.format(n)} B`;
    if (a < 10_000_000) return `${nf1.format(n / 1024)} KB`;
    return `${nf1.format(n / 1024 / 1024)} MB`;
  },
  /** A duration in ms as ms, s, min, h or days. */
  duration(ms: number): string {
    if (ms < 1000) return `${nf0.format(ms)} ms`;
    if (ms < 120_000) return `${nf1.format(ms / 1000)} s`;
    if (ms < 7_200_000) return `${nf0.format(ms / 60_000)} min`;
    if (ms < 172_800_000) return `${nf1.format(ms / 3_600_000)} h`;
    return `${nf1.format(ms / 86_400_000)} days`;
  },
  /** An id count as 1k / 1M where round. */
  count(n: number): string {
    if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
    if (n >= 1000 && n % 1000 === 0) return `${n / 1000}k`;
    return nf0.format(n);
  },
};

/** A markdown table; `right` lists the columns to right-align. */
export function mdTable(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const sep = headers.map((_, i) => (right.includes(i) ? '---:' : '---'));
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), `|${sep.join('|')}|`, ...rows.map(line)].join('\n');
}
