import { createHash } from 'node:crypto';
import { ValidationError } from '../core/errors.js';

/** Size of a Bloom filter: `bits` (m) and `hashes` (k). */
export interface BloomSize {
  /** Length of the bit array (m), at most {@link MAX_BLOOM_BITS}. */
  bits: number;
  /** Number of bit positions set and checked per item (k), at least 1. */
  hashes: number;
}

/** Largest bit array a Redis string can hold (512 MB). */
export const MAX_BLOOM_BITS = 2 ** 32;

/**
 * The optimal size for `capacity` items at false-positive rate `errorRate`:
 * m = ⌈-n·ln p / (ln 2)²⌉ bits and k = round(m/n · ln 2) hash functions.
 */
export function bloomSize(capacity: number, errorRate: number): BloomSize {
  const bits = Math.ceil((-capacity * Math.log(errorRate)) / Math.LN2 ** 2);
  if (bits > MAX_BLOOM_BITS)
    throw new ValidationError('capacity', `needs ${bits} bits, more than a Redis string holds (${MAX_BLOOM_BITS})`);
  return { bits, hashes: Math.max(1, Math.round((bits / capacity) * Math.LN2)) };
}

/**
 * The k bit positions of `item`: double hashing (Kirsch–Mitzenmacher) over two
 * 48-bit halves of its SHA-256, g_i = h1 + i·h2 mod m. Every term stays below
 * 2^53, so the arithmetic is exact in doubles.
 */
export function bloomPositions(item: string, size: BloomSize): number[] {
  const digest = createHash('sha256').update(item).digest();
  const h1 = digest.readUIntBE(0, 6);
  // An h2 that is a multiple of m would put every position on one bit.
  const h2 = (digest.readUIntBE(6, 6) % (size.bits - 1 || 1)) + 1;
  const out: number[] = [];
  for (let i = 0; i < size.hashes; i++) out.push((h1 + i * h2) % size.bits);
  return out;
}
