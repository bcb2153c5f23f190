// Appointment metadata offload: check-in status, room and nurse notes change many times a
// day. They are written to Redis (one round trip, field by field) and a periodic sync drains
// the changed appointments to Postgres (PGlite, a real Postgres compiled to WASM) in batches.
// The sync retries a failing database, and an update made while a batch is being written is
// never lost.
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { type OffloadRecord, OffloadStore } from 'redis-patterns/offload';
import { check, withRedis } from '../_shared/redis.js';

const db = new PGlite();
await db.exec(`
  CREATE TABLE appointments (
    id text PRIMARY KEY,
    status text NOT NULL,
    room text,
    notes jsonb,
    version integer NOT NULL
  )`);

/** An idempotent upsert: an older version never overwrites a newer one. */
async function writeToPostgres(records: OffloadRecord[]): Promise<void> {
  await db.transaction(async (tx) => {
    for (const r of records) {
      const f = r.fields as { status?: string; room?: string | null; notes?: unknown };
      await tx.query(
        `INSERT INTO appointments (id, status, room, notes, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, room = EXCLUDED.room, notes = EXCLUDED.notes, version = EXCLUDED.version
         WHERE appointments.version < EXCLUDED.version`,
        [r.id, f.status ?? 'booked', f.room ?? null, JSON.stringify(f.notes ?? null), r.version],
      );
    }
  });
}

async function row(id: string) {
  const { rows } = await db.query<{ status: string; room: string | null; version: number }>(
    'SELECT status, room, version FROM appointments WHERE id = $1',
    [id],
  );
  return rows[0];
}

await withRedis(async (url) => {
  const redis = new Redis(url);
  const connection = RedisConnection.from(redis, { prefix: 'clinic' });
  try {
    const store = new OffloadStore({ connection, name: 'appointments', shards: 8 });

    for (let i = 1; i <= 40; i++) await store.update(`appt-${i}`, { status: 'booked', room: null });
    for (let i = 1; i <= 40; i += 3) await store.update(`appt-${i}`, { status: 'checked-in', room: `R${i % 5}` });
    await store.update('appt-7', { notes: { bp: '128/82', allergies: ['penicillin'] } });
    console.log(`dirty appointments: ${await store.dirtyCount()}`);

    // The database fails twice (a restart, say): the batch is retried with backoff.
    let outages = 2;
    const first = await store.sync(
      async (records) => {
        if (outages-- > 0) throw new Error('connection to Postgres lost');
        await writeToPostgres(records);
      },
      { batchSize: 10, retryBaseMs: 20 },
    );
    console.log('sync 1:', JSON.stringify({ ...first, errors: first.errors.length }));
    const count = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM appointments')).rows[0]?.n;
    check(count === 40 && first.retries === 2 && first.failed === 0, 'all 40 appointments reached Postgres despite two failures');
    check((await row('appt-7'))?.status === 'checked-in', 'field-level updates were merged before the flush');
    check((await store.dirtyCount()) === 0, 'the dirty index is empty after a successful sync');

    // A nurse moves appt-4 to another room while the sync is writing it.
    await store.update('appt-4', { status: 'in-room' });
    const second = await store.sync(async (records) => {
      await writeToPostgres(records);
      await store.update('appt-4', { room: 'R9' });
    });
    console.log('sync 2:', JSON.stringify({ ...second, errors: second.errors.length }));
    check(second.changedDuringFlush === 1 && (await store.get('appt-4'))?.dirty === true, 'the concurrent update kept appt-4 dirty');
    const third = await store.sync(writeToPostgres);
    const appt4 = await row('appt-4');
    console.log('appt-4 in Postgres:', JSON.stringify(appt4));
    check(third.flushed === 1 && appt4?.room === 'R9' && appt4.status === 'in-room', 'the next sync wrote the update: nothing lost');
    check((await store.dirtyCount()) === 0, 'nothing left to sync');
  } finally {
    await redis.quit();
    await db.close();
  }
});
