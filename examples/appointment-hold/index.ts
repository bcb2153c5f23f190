// Two patients try to book Dr. Lee's 09:00 slot at the same moment. A SlotHold gives the
// slot to exactly one of them for ten minutes while they fill in the form; confirming
// turns the hold into a booking. A hold nobody confirms vanishes by itself.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { SlotHold } from 'redis-patterns/lock';
import { check, withRedis } from '../_shared/redis.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await withRedis(async (url) => {
  const client = new Redis(url);
  const connection = RedisConnection.from(client, { prefix: 'clinic' });
  const slots = new SlotHold({ connection, holdTtlMs: 10 * 60_000 });
  const slot = 'dr-lee:2026-12-01T09:00';
  try {
    const [maria, james] = await Promise.all([slots.hold(slot, 'patient-maria'), slots.hold(slot, 'patient-james')]);
    console.log(`maria: ${maria.state}, james: ${james.state}`);
    check(maria.held !== james.held, 'exactly one patient holds the slot');
    const winner = maria.held ? 'patient-maria' : 'patient-james';
    const loser = maria.held ? 'patient-james' : 'patient-maria';
    const lost = maria.held ? james : maria;
    check(lost.state === 'taken' && lost.holderId === winner, 'the other sees who holds it');
    console.log(`${winner} holds the slot for ${Math.round((maria.held ? maria : james).expiresInMs / 60000)} minutes`);

    check(!(await slots.confirm(slot, loser)).confirmed, 'the other patient cannot confirm');
    const confirmed = await slots.confirm(slot, winner);
    console.log(`${winner} confirms: ${confirmed.state}`);
    check(confirmed.confirmed, 'the holder confirms the booking');
    const retry = await slots.hold(slot, loser);
    console.log(`${loser} tries again: ${retry.state}`);
    check(retry.state === 'booked', 'a booked slot cannot be held');
    check((await slots.holderOf(slot)).state === 'booked', 'holderOf reports the booking');

    const other = 'dr-lee:2026-12-01T09:30';
    await slots.hold(other, 'patient-ana', 200);
    console.log('patient-ana holds 09:30 and closes the tab');
    await sleep(400);
    const state = await slots.holderOf(other);
    console.log(`09:30 after the hold expired: ${state.state}`);
    check(state.state === 'free', 'an abandoned hold vanishes by itself');
    check(!(await slots.confirm(other, 'patient-ana')).confirmed, 'an expired hold cannot be confirmed');
  } finally {
    await connection.close();
    await client.quit();
  }
});
