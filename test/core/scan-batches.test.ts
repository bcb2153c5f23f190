// scan() goes through every SCAN page of every primary (COUNT is the page size it asks for) and
// yields only pages that hold keys.
import { describe, expect, it } from 'vitest';
import { driver, target, testConnection } from '../harness/redis.js';

describe(`scan() on ${target} via ${driver}`, () => {
  it('follows the cursor to the end with a small COUNT, and yields no empty page', async () => {
    const connection = await testConnection();
    const ks = connection.keys('scan-pages');
    for (let i = 0; i < 40; i++) await connection.send(['SET', ks.key(`k${i}`), 'v', 'PX', 60_000], ks.key(`k${i}`));
    const batches: string[][] = [];
    for await (const batch of connection.scan(ks.pattern(), 5)) batches.push(batch);
    expect(new Set(batches.flat()).size).toBe(40);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) expect(batch.length).toBeGreaterThan(0);

    const none: string[][] = [];
    for await (const batch of connection.scan(connection.keys('scan-nothing').pattern())) none.push(batch);
    expect(none).toEqual([]);
  });
});
