// Patient intake: InsuranceCheck → CoverageVerified → InitialQuestions → SchedulingOffered
// → Completed, one flow per patient in a Redis hash. Two front-desk tablets race to move the
// same patient on: exactly one moves it, the other is told it lost and where the flow is now.
import { Redis } from 'ioredis';
import { RedisConnection } from 'redis-patterns';
import { InvalidTransitionError, StateMachine } from 'redis-patterns/state-machine';
import { check, withRedis } from '../_shared/redis.js';

type Step = 'InsuranceCheck' | 'CoverageVerified' | 'InitialQuestions' | 'SchedulingOffered' | 'Completed';

await withRedis(async (url) => {
  const redis = new Redis(url);
  const connection = RedisConnection.from(redis, { prefix: 'clinic' });
  try {
    const intake = new StateMachine<Step>({
      connection,
      name: 'intake',
      ttlMs: 24 * 3_600_000, // an intake nobody touches for a day is abandoned
      definition: {
        initial: 'InsuranceCheck',
        transitions: {
          InsuranceCheck: ['CoverageVerified'],
          CoverageVerified: ['InitialQuestions'],
          InitialQuestions: ['SchedulingOffered'],
          SchedulingOffered: ['Completed', 'InitialQuestions'],
          Completed: [],
        },
      },
    });

    const started = await intake.start('patient-42', { name: 'Ana Lima' });
    check(started.started, 'a new flow starts');
    const twice = await intake.start('patient-42', { name: 'Someone Else' });
    check(!twice.started && twice.state === 'InsuranceCheck', 'starting an existing flow changes nothing and says where it is');
    await intake.transition('patient-42', 'InsuranceCheck', 'CoverageVerified', { payer: 'Aetna', copay: 25 });
    await intake.transition('patient-42', 'CoverageVerified', 'InitialQuestions');

    // Two tablets submit the questionnaire at the same moment.
    const results = await Promise.all([
      intake.transition('patient-42', 'InitialQuestions', 'SchedulingOffered', { answeredOn: 'tablet-A' }),
      intake.transition('patient-42', 'InitialQuestions', 'SchedulingOffered', { answeredOn: 'tablet-B' }),
    ]);
    const winners = results.filter((r) => r.moved);
    const loser = results.find((r) => !r.moved);
    console.log(`race: ${winners.length} winner, the other found the flow in ${loser?.state} (version ${loser?.version})`);
    check(winners.length === 1, 'exactly one concurrent transition wins');
    check(loser?.state === 'SchedulingOffered', 'the other is told the state the winner moved the flow to');

    try {
      await intake.transition('patient-42', 'SchedulingOffered', 'InsuranceCheck');
      check(false, 'a move the definition does not allow must fail');
    } catch (err) {
      check(err instanceof InvalidTransitionError, 'disallowed moves fail before reaching Redis');
      console.log(`rejected: ${(err as Error).message}`);
    }

    await intake.transition('patient-42', 'SchedulingOffered', 'Completed', { slot: '2026-11-24T09:30' });
    const flow = await intake.get('patient-42');
    console.log(`state ${flow?.state}, version ${flow?.version}, data ${JSON.stringify(flow?.data)}`);
    console.log('history:', flow?.history.map((h) => h.to).join(' → '));
    check(flow?.history[0]?.from === undefined && flow?.history[0]?.to === 'InsuranceCheck', 'the first history entry is the start');
    check(flow?.state === 'Completed' && flow.version === 5, 'the flow completed after 4 transitions');
    check(flow?.data.payer === 'Aetna' && flow.data.slot === '2026-11-24T09:30', 'data merged at each step');
    const ttl = await redis.pttl(connection.keys('state-machine').key('patient-42', 'intake', 'flow'));
    check(ttl > 0 && ttl <= 24 * 3_600_000, 'the flow expires if abandoned');
  } finally {
    await redis.quit();
  }
});
