import { RedisPatternsError } from '../core/errors.js';

/**
 * The Bloom filter stored under this name was created with another capacity or
 * error rate (another bit count or number of hashes); mixing them would give wrong answers.
 * Code `BLOOM_CONFIG`.
 */
export class BloomConfigError extends RedisPatternsError {
  /** The `code` of every error of this class: `BLOOM_CONFIG`. */
  static readonly code = 'BLOOM_CONFIG';

  constructor(detail: string) {
    super(BloomConfigError.code, `the stored Bloom filter has another size (bits, hashes: ${detail})`);
  }
}

/** `backend: 'module'` was asked for, but the server has no RedisBloom (`BF.*`) commands. Code `BLOOM_MODULE_MISSING`. */
export class BloomModuleMissingError extends RedisPatternsError {
  /** The `code` of every error of this class: `BLOOM_MODULE_MISSING`. */
  static readonly code = 'BLOOM_MODULE_MISSING';

  constructor() {
    super(BloomModuleMissingError.code, 'the Redis server has no BF.* commands (RedisBloom module)');
  }
}
