/**
 * Counters: `UniqueCounter` (HyperLogLog per day, merged counts over a range in
 * one round trip), `AtomicCounter` (windowed analytics counters on Redis time)
 * and `BloomFilter` (RedisBloom when present, else a Lua bit array).
 *
 * @packageDocumentation
 */
export { AtomicCounter, type AtomicCounterOptions, MAX_WINDOWS, type WindowCount } from './atomic-counter.js';
export { type BloomBackend, BloomFilter, type BloomFilterOptions, MAX_BLOOM_BATCH } from './bloom-filter.js';
export { type BloomSize, bloomPositions, bloomSize, MAX_BLOOM_BITS } from './bloom-math.js';
export { type DayLike, dayStart } from './days.js';
export { BloomConfigError, BloomModuleMissingError } from './errors.js';
export { type DaySelector, MAX_RANGE_DAYS, MAX_TRACK_MEMBERS, UniqueCounter, type UniqueCounterOptions } from './unique-counter.js';
