import { RedisPatternsError } from '../core/errors.js';
import { registerScriptError } from '../core/reply-errors.js';

/**
 * The Bloom filter stored under this name was created with another capacity or
 * error rate (another bit count or number of hashes); mixing them would give wrong answers.
 */
export class BloomConfigError extends RedisPatternsError {
  constructor(detail: string) {
    super('BLOOM_CONFIG', `the stored Bloom filter has another size (bits, hashes: ${detail})`);
  }
}

/** `backend: 'module'` was asked for, but the server has no RedisBloom (`BF.*`) commands. */
export class BloomModuleMissingError extends RedisPatternsError {
  constructor() {
    super('BLOOM_MODULE_MISSING', 'the Redis server has no BF.* commands (RedisBloom module)');
  }
}

registerScriptError('BLOOM_CONFIG', (detail) => new BloomConfigError(detail));
