import { createHmac } from 'node:crypto';
import { channel, type TracingChannel, tracingChannel } from 'node:diagnostics_channel';

// One instrumentation point for the whole library, on Node's own `diagnostics_channel`: every
// public operation of a module runs through its module's tracing channel, and every round trip
// is published on one command channel. Nothing is built or published while nobody subscribes
// (one `hasSubscribers` check per operation), and OpenTelemetry or any APM subscribes without
// the library importing it (`redis-patterns/otel` is one such subscriber).

/** Attribute values of an operation: names and settings only, never identifiers. */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean>>;

/**
 * The context object an operation publishes on its module's tracing channel
 * (`tracing:redis-patterns:<module>:start`, `:end`, `:asyncStart`, `:asyncEnd`, `:error`).
 */
export interface OperationContext {
  /** The module, e.g. `rate-limit`. */
  readonly module: string;
  /** The public operation, e.g. `check`. */
  readonly operation: string;
  /**
   * What configures the operation, with bounded cardinality (a limiter's name and algorithm, a
   * queue's name); never keys, user ids, tokens or job ids.
   */
  readonly attributes: TelemetryAttributes;
  /**
   * A keyed hash of the operation's identifier (the rate-limit identity, the lock resource, the
   * cache key), present only after `setIdentifierHashKey` was given a key.
   */
  readonly subject?: string;
  /** What happened, set by the module before the operation settles: `hit`, `allowed`, `acquired`, ... */
  outcome?: string;
  /** Numbers the operation measured (milliseconds unless named otherwise): `waitMs`, `heldMs`, ... */
  measurements?: Record<string, number>;
  /**
   * Trace context to carry with a message (a queued job): a subscriber to `start` may fill it
   * (e.g. W3C `traceparent`), the queue stores it with the job, and the worker's operation
   * context carries it back for the consumer's span to link to.
   */
  carrier?: Record<string, string>;
  /** Set by the channel: the operation's result. */
  result?: unknown;
  /** Set by the channel: the error the operation rejected with. */
  error?: unknown;
}

/** What the command channel (`redis-patterns:command`) publishes once per round trip. */
export interface CommandMessage {
  /** `script` (an `EVALSHA`/`EVAL`), `command` or `pipeline`. */
  readonly kind: 'script' | 'command' | 'pipeline';
  /** The script's name (`lock/acquire`), the command (`GET`), or `MULTI`/`pipeline`. */
  readonly name: string;
  /** Calls the round trip carried: coalesced script calls, or commands of a pipeline. */
  readonly calls: number;
  /** Milliseconds from send to reply. */
  readonly durationMs: number;
  /** The error code when it failed (`REDIS_TIMEOUT`, `REDIS_UNAVAILABLE`, ...). */
  readonly errorCode?: string;
  /** True when the script was missing on the server (`NOSCRIPT`) and was sent again with `EVAL`. */
  readonly reloaded?: boolean;
}

/** The channel every round trip is published on. */
export const commandChannel = channel('redis-patterns:command');

/** `reply`, publishing its round trip on {@link commandChannel} once it settles (call only while subscribed). */
export function observeCommand<T>(
  reply: Promise<T>,
  kind: CommandMessage['kind'],
  name: string,
  calls: number,
  reloaded = false,
): Promise<T> {
  const started = performance.now();
  const publish = (errorCode?: string) => {
    const message: CommandMessage = {
      kind,
      name,
      calls,
      durationMs: performance.now() - started,
      ...(errorCode ? { errorCode } : {}),
      ...(reloaded ? { reloaded } : {}),
    };
    commandChannel.publish(message);
  };
  return reply.then(
    (value) => {
      publish();
      return value;
    },
    (err: unknown) => {
      publish((err as { code?: string }).code ?? 'REDIS_ERROR');
      throw err;
    },
  );
}

/**
 * Something a telemetry subscriber can read on demand, for gauges: a queue's backlog, a
 * breaker's state. `read()` returns metric name → value (names as docs/observability.md lists
 * them, without the `redis_patterns.` prefix).
 */
export interface GaugeSource {
  /** The module that owns it. */
  readonly module: string;
  /** Bounded attributes identifying it (a queue's or a breaker's name). */
  readonly attributes: TelemetryAttributes;
  /** Current values, read when a metrics reader collects. */
  read(): Promise<Record<string, number>> | Record<string, number>;
}

// Weak: a source lives as long as the object that registered it, so forgotten objects are not kept.
const gaugeSources = new Set<WeakRef<GaugeSource>>();

/**
 * Registers `source` for gauges. Keep a strong reference to it for as long as it should be
 * read (the object it reports on does); the returned function removes it.
 */
export function addGaugeSource(source: GaugeSource): () => void {
  const ref = new WeakRef(source);
  gaugeSources.add(ref);
  return () => gaugeSources.delete(ref);
}

/** Every live gauge source. */
export function liveGaugeSources(): GaugeSource[] {
  const out: GaugeSource[] = [];
  for (const ref of gaugeSources) {
    const source = ref.deref();
    if (source) out.push(source);
    else gaugeSources.delete(ref);
  }
  return out;
}

let identifierKey: Buffer | undefined;

/**
 * Lets operations publish a keyed hash (HMAC-SHA256, 16 bytes, base64url) of their identifier
 * as `subject`; `undefined` turns it off again (the default: no identifier reaches telemetry).
 * Keep the key secret: without it the hash reveals nothing, and it cannot be reversed.
 */
export function setIdentifierHashKey(key: string | Buffer | undefined): void {
  identifierKey = key === undefined ? undefined : Buffer.from(key);
}

/** The tracing channel of one module and the helper its operations run through. */
export class Instrument {
  /** `tracing:redis-patterns:<module>:*`. */
  readonly channel: TracingChannel<object, OperationContext>;

  constructor(
    /** The module's name: the `<module>` of its channel's name. */
    readonly module: string,
  ) {
    this.channel = tracingChannel(`redis-patterns:${module}`);
  }

  /** Whether anyone listens; when not, an operation costs this one check. */
  get enabled(): boolean {
    const c = this.channel;
    return c.start.hasSubscribers || c.asyncEnd.hasSubscribers || c.error.hasSubscribers || c.end.hasSubscribers;
  }

  /**
   * Runs `fn` as the traced operation `operation`. `fn` gets the context to set `outcome` and
   * `measurements` on (`undefined` when nobody listens, so nothing is built then).
   * `identifier` is published only as a keyed hash, and only when a key was set. `carrier` is
   * the trace context a message carries: empty for a producer (subscribers fill it), the
   * stored one for a consumer.
   */
  trace<T>(
    operation: string,
    attributes: TelemetryAttributes,
    identifier: string | undefined,
    fn: (context: OperationContext | undefined) => Promise<T>,
    carrier?: Record<string, string>,
  ): Promise<T> {
    if (!this.enabled) return fn(undefined);
    const context: OperationContext = {
      module: this.module,
      operation,
      attributes,
      ...(identifier !== undefined && identifierKey ? { subject: hashIdentifier(identifier, identifierKey) } : {}),
      ...(carrier ? { carrier } : {}),
    };
    return this.channel.tracePromise(() => fn(context), context);
  }
}

function hashIdentifier(identifier: string, key: Buffer): string {
  return createHmac('sha256', key).update(identifier).digest().subarray(0, 16).toString('base64url');
}
