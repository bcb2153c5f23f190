import type { Attributes, BatchObservableCallback, Counter, Histogram, Meter, Observable, UpDownCounter } from '@opentelemetry/api';
import { type CommandMessage, liveGaugeSources, type OperationContext } from '../core/telemetry.js';

// Rate-limit outcomes that let the request through (the others reject it).
const ALLOWED_OUTCOMES = new Set(['allowed', 'fail-open', 'oom-open', 'insurance-allowed', 'allow-list']);

// Every metric of the library (docs/observability.md lists them with units and attributes).
// Attributes come only from an operation's bounded attributes (names of limiters, queues,
// breakers, algorithms, kinds of lock) and its outcome: never from identifiers.

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Gauges read from registered sources (a queue's backlog, a breaker's state), by source metric name. */
const GAUGES: Record<string, { name: string; description: string; unit: string }> = {
  'queue.waiting': { name: 'redis_patterns.queue.waiting', description: 'Jobs waiting to be fetched', unit: '{job}' },
  'queue.delayed': { name: 'redis_patterns.queue.delayed', description: 'Delayed jobs not yet due', unit: '{job}' },
  'queue.active': { name: 'redis_patterns.queue.active', description: 'Jobs fetched and not yet acknowledged', unit: '{job}' },
  'queue.dead': { name: 'redis_patterns.queue.dead', description: 'Jobs in the dead-letter stream', unit: '{job}' },
  'circuit_breaker.state': {
    name: 'redis_patterns.circuit_breaker.state',
    description: 'Circuit state as this instance sees it: 0 closed, 1 half-open, 2 open',
    unit: '1',
  },
};

/** Records the metrics of operations and round trips on one meter. */
export class ModuleMetrics {
  private readonly duration: Histogram;
  private readonly cacheRequests: Counter;
  private readonly cacheLoads: Counter;
  private readonly cacheLoadDuration: Histogram;
  private readonly rateLimitDecisions: Counter;
  private readonly lockWait: Histogram;
  private readonly lockHold: Histogram;
  private readonly lockHandoffs: Counter;
  private readonly lockLost: Counter;
  private readonly permitsInUse: UpDownCounter;
  private readonly queueJobs: Counter;
  private readonly queueProcessing: Histogram;
  private readonly queueWait: Histogram;
  private readonly sessionOperations: Counter;
  private readonly breakerCalls: Counter;
  private readonly breakerTransitions: Counter;
  private readonly roundTrips: Counter;
  private readonly coalescedCalls: Histogram;
  private readonly scriptReloads: Counter;
  private readonly timeouts: Counter;
  private readonly gauges: Record<string, Observable>;
  private readonly collect: BatchObservableCallback;

  constructor(private readonly meter: Meter) {
    const seconds = (name: string, description: string) =>
      meter.createHistogram(name, { description, unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
    this.duration = seconds('redis_patterns.operation.duration', 'Duration of public operations');
    this.cacheRequests = meter.createCounter('redis_patterns.cache.requests', {
      description: 'Cache reads by result and tier',
      unit: '{request}',
    });
    this.cacheLoads = meter.createCounter('redis_patterns.cache.loads', { description: 'Loader calls', unit: '{load}' });
    this.cacheLoadDuration = seconds('redis_patterns.cache.load.duration', 'Duration of loader calls');
    this.rateLimitDecisions = meter.createCounter('redis_patterns.rate_limit.decisions', {
      description: 'Rate-limit checks by decision and source',
      unit: '{check}',
    });
    this.lockWait = seconds('redis_patterns.lock.wait.duration', 'Time from asking for a lock or permit to holding it');
    this.lockHold = seconds('redis_patterns.lock.hold.duration', 'Time a lock or permit was held until released');
    this.lockHandoffs = meter.createCounter('redis_patterns.lock.handoffs', {
      description: 'Releases that handed the lock straight to a waiter',
      unit: '{release}',
    });
    this.lockLost = meter.createCounter('redis_patterns.lock.lost', { description: 'Leases lost while held', unit: '{lease}' });
    this.permitsInUse = meter.createUpDownCounter('redis_patterns.semaphore.permits.in_use', {
      description: 'Semaphore permits held by this process',
      unit: '{permit}',
    });
    this.queueJobs = meter.createCounter('redis_patterns.queue.jobs', { description: 'Jobs by what happened to them', unit: '{job}' });
    this.queueProcessing = seconds('redis_patterns.queue.job.processing.duration', 'Duration of job handlers');
    this.queueWait = seconds('redis_patterns.queue.job.wait.duration', 'Time from enqueue (or due time) to a worker taking the job');
    this.sessionOperations = meter.createCounter('redis_patterns.session.operations', {
      description: 'Session operations by result',
      unit: '{operation}',
    });
    this.breakerCalls = meter.createCounter('redis_patterns.circuit_breaker.calls', {
      description: 'Calls through a breaker by result',
      unit: '{call}',
    });
    this.breakerTransitions = meter.createCounter('redis_patterns.circuit_breaker.transitions', {
      description: 'State changes seen by this instance',
      unit: '{transition}',
    });
    this.roundTrips = meter.createCounter('redis_patterns.client.round_trips', {
      description: 'Round trips to Redis',
      unit: '{round_trip}',
    });
    this.coalescedCalls = meter.createHistogram('redis_patterns.client.coalesced_calls', {
      description: 'Script calls carried by one EVALSHA',
      unit: '{call}',
      advice: { explicitBucketBoundaries: [1, 2, 4, 8, 12, 16] },
    });
    this.scriptReloads = meter.createCounter('redis_patterns.client.script_reloads', {
      description: 'Scripts sent again after NOSCRIPT',
      unit: '{script}',
    });
    this.timeouts = meter.createCounter('redis_patterns.client.timeouts', {
      description: 'Operations that failed because Redis did not answer in time',
      unit: '{operation}',
    });
    this.gauges = {};
    for (const [source, g] of Object.entries(GAUGES)) {
      this.gauges[source] = meter.createObservableGauge(g.name, { description: g.description, unit: g.unit });
    }
    this.collect = async (result) => {
      await Promise.all(
        liveGaugeSources().map(async (source) => {
          const values = await Promise.resolve(source.read()).catch(() => ({}) as Record<string, number>);
          for (const [metric, value] of Object.entries(values)) {
            const gauge = this.gauges[metric];
            if (gauge) result.observe(gauge, value, prefixed(source.attributes));
          }
        }),
      );
    };
  }

  /** Starts reading gauge sources whenever a reader collects. */
  observeGauges(): void {
    this.meter.addBatchObservableCallback(this.collect, Object.values(this.gauges));
  }

  /** Stops reading gauge sources. */
  stop(): void {
    this.meter.removeBatchObservableCallback(this.collect, Object.values(this.gauges));
  }

  /** Records one settled operation. */
  operation(op: OperationContext, seconds: number, errorType: string | undefined): void {
    const base = prefixed(op.attributes);
    this.duration.record(seconds, {
      ...base,
      'redis_patterns.module': op.module,
      'redis_patterns.operation': op.operation,
      ...(op.outcome ? { 'redis_patterns.outcome': op.outcome } : {}),
      ...(errorType ? { 'error.type': errorType } : {}),
    });
    if (errorType === 'REDIS_TIMEOUT') this.timeouts.add(1, { 'redis_patterns.module': op.module });
    const m = op.measurements ?? {};
    const outcome = op.outcome;
    switch (op.module) {
      case 'cache':
        if (outcome === 'hit' || outcome === 'miss' || outcome === 'stale' || outcome === 'l1-hit') {
          const tier = outcome === 'l1-hit' ? 'l1' : 'redis';
          this.cacheRequests.add(1, {
            ...base,
            'redis_patterns.result': outcome === 'l1-hit' ? 'hit' : outcome,
            'redis_patterns.tier': tier,
          });
        }
        if (m.loadMs !== undefined) {
          this.cacheLoads.add(1, base);
          this.cacheLoadDuration.record(m.loadMs / 1000, base);
        }
        break;
      case 'rate-limit':
        if (outcome && (op.operation === 'check' || op.operation === 'peek' || op.operation === 'waitFor')) {
          const allowed = ALLOWED_OUTCOMES.has(outcome);
          const source = outcome === 'allowed' || outcome === 'rejected' ? 'redis' : outcome.replace(/^insurance-.*/, 'insurance');
          this.rateLimitDecisions.add(1, {
            ...base,
            'redis_patterns.decision': allowed ? 'allowed' : 'rejected',
            'redis_patterns.source': source,
          });
        }
        break;
      case 'lock':
        if (m.waitMs !== undefined && outcome === 'acquired') this.lockWait.record(m.waitMs / 1000, base);
        if (m.heldMs !== undefined && outcome !== 'not-held') this.lockHold.record(m.heldMs / 1000, base);
        if (outcome === 'handed-off') this.lockHandoffs.add(1, base);
        if (outcome === 'lost') this.lockLost.add(1, base);
        if (op.attributes.kind === 'semaphore') {
          if (outcome === 'acquired') this.permitsInUse.add(1, base);
          if (op.operation === 'release' && outcome === 'released') this.permitsInUse.add(-1, base);
        }
        break;
      case 'queue':
        if (op.operation === 'add' || op.operation === 'addBulk') {
          // A job whose id was taken is a duplicate: nothing was added (addBulk counts only what it added).
          if (!errorType && outcome !== 'duplicate') this.queueJobs.add(m.jobs ?? 1, { ...base, 'redis_patterns.event': 'added' });
        } else if (op.operation === 'process' && outcome) {
          this.queueJobs.add(1, { ...base, 'redis_patterns.event': outcome });
          this.queueProcessing.record(seconds, base);
          if (m.waitMs !== undefined) this.queueWait.record(m.waitMs / 1000, base);
        }
        break;
      case 'session':
        this.sessionOperations.add(1, {
          'redis_patterns.operation': op.operation,
          'redis_patterns.result': outcome ?? (errorType ? 'error' : 'ok'),
        });
        break;
      case 'circuit-breaker':
        if (op.operation === 'execute' && outcome) this.breakerCalls.add(1, { ...base, 'redis_patterns.result': outcome });
        if (op.operation === 'transition' && outcome) this.breakerTransitions.add(1, { ...base, 'redis_patterns.state': outcome });
        break;
    }
  }

  /** Records one round trip. */
  command(message: CommandMessage): void {
    this.roundTrips.add(1, { 'redis_patterns.kind': message.kind });
    if (message.kind === 'script') this.coalescedCalls.record(message.calls, { 'redis_patterns.script': message.name });
    if (message.reloaded) this.scriptReloads.add(1, { 'redis_patterns.script': message.name });
  }
}

function prefixed(attributes: Readonly<Record<string, string | number | boolean>>): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(attributes)) out[`redis_patterns.${k}`] = v;
  return out;
}
