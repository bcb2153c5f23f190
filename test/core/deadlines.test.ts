import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/core/async.js';
import { Deadlines } from '../../src/core/deadlines.js';

describe('Deadlines', () => {
  it('expires exactly the entries not settled in time, each once, near its own deadline', async () => {
    const deadlines = new Deadlines();
    const started = performance.now();
    const expiredAt = new Map<string, number>();
    const track = (name: string) => () => {
      expect(expiredAt.has(name)).toBe(false);
      expiredAt.set(name, performance.now() - started);
    };
    const a = deadlines.add(40, track('a'));
    const b = deadlines.add(40, track('b'));
    deadlines.add(40, track('c'));
    deadlines.add(120, track('d'));
    const e = deadlines.add(10, track('e'));
    // Out of order: b before a, so a settled entry sits behind an unsettled head.
    deadlines.settle(b);
    deadlines.settle(e);
    deadlines.settle(e);
    await sleep(20);
    deadlines.settle(a);
    await sleep(200);
    expect([...expiredAt.keys()].sort()).toEqual(['c', 'd']);
    expect(expiredAt.get('c')).toBeGreaterThanOrEqual(39);
    expect(expiredAt.get('c')).toBeLessThan(115);
    expect(expiredAt.get('d')).toBeGreaterThanOrEqual(119);
  });

  it('keeps up with many commands settled in order and with a later earlier deadline', async () => {
    const deadlines = new Deadlines();
    let expired = 0;
    const long = deadlines.add(5000, () => expired++);
    for (let i = 0; i < 10_000; i++) deadlines.settle(deadlines.add(1000, () => expired++));
    // A shorter timeout added after a longer one still fires on time.
    const short = new Promise<number>((resolve) => {
      const t0 = performance.now();
      deadlines.add(30, () => resolve(performance.now() - t0));
    });
    expect(await short).toBeLessThan(500);
    deadlines.settle(long);
    expect(expired).toBe(0);
  });

  it('once nothing waits, the timer stays off: no timeout without a deadline (Node would warn of one)', async () => {
    const deadlines = new Deadlines();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      let expired = 0;
      deadlines.add(5, () => expired++);
      await sleep(60);
      expect(expired).toBe(1);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an entry settled after it expired stays expired once', async () => {
    const deadlines = new Deadlines();
    let expired = 0;
    const entry = deadlines.add(5, () => expired++);
    await sleep(40);
    deadlines.settle(entry);
    expect(expired).toBe(1);
    expect(entry.settled).toBe(true);
  });
});
