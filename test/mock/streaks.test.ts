// Streaks on ioredis-mock: the record script and get, for apps that unit-test with a mocked Redis.
import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { Streaks } from '../../src/streaks/index.js';

describe('Streaks on ioredis-mock', () => {
  it('records consecutive days, once per day, and breaks after a gap', async () => {
    const streaks = new Streaks({ connection: new RedisMock() });
    expect(await streaks.record('u', 'k', Date.UTC(2026, 0, 1))).toMatchObject({ current: 1, status: 'counted' });
    expect(await streaks.record('u', 'k', Date.UTC(2026, 0, 1, 20))).toMatchObject({ current: 1, status: 'duplicate' });
    expect(await streaks.record('u', 'k', Date.UTC(2026, 0, 2))).toMatchObject({ current: 2, longest: 2 });
    expect(await streaks.record('u', 'k', Date.UTC(2026, 0, 5))).toMatchObject({ current: 1, longest: 2 });
    expect(await streaks.get('u', 'k', Date.UTC(2026, 0, 6))).toEqual({ current: 1, longest: 2, lastPeriod: '2026-01-05' });
  });
});
