// Bad input to each Cache call is a ValidationError naming its field, thrown before anything is sent.
import { describe, expect, it } from 'vitest';
import { Cache } from '../../src/cache/index.js';
import { countCommands } from '../harness/command-counter.js';
import { driver, target, testConnection } from '../harness/redis.js';
import { expectInvalid } from '../harness/validation.js';

describe(`Cache call input on ${target} via ${driver}`, () => {
  it('names the key, the loader or the tag that is wrong', async () => {
    const connection = await testConnection();
    const cache = new Cache({ connection, ttlMs: 60_000 });
    const { total } = await countCommands(connection, async () => {
      await expectInvalid(() => cache.wrap('', async () => 1), 'key');
      await expectInvalid(() => cache.wrap('k', 'nope' as never), 'loader', /^loader: must be a function$/);
      await expectInvalid(() => cache.get(''), 'key');
      await expectInvalid(() => cache.set('', 1), 'key');
      await expectInvalid(() => cache.delete(['k', '']), 'key');
      await expectInvalid(() => cache.mget(['k', '']), 'key');
      await expectInvalid(() => cache.mset([{ key: '', value: 1 }]), 'key');
      await expectInvalid(() => cache.invalidateTag(''), 'tag');
      await expectInvalid(() => cache.expireTag(''), 'tag');
    });
    expect(total).toBe(0);
  });
});
