/** Commands of one timeout value, in the order they were sent (so deadlines ascend). */
interface Queue {
  readonly ms: number;
  items: Pending[];
  head: number;
}

/** One command waiting for its reply. */
export interface Pending {
  readonly deadline: number;
  readonly queue: Queue;
  settled: boolean;
  readonly expire: () => void;
}

/**
 * Reply deadlines of many in-flight commands behind one timer.
 *
 * A `setTimeout` per command costs more than the command itself on a busy connection
 * (timer-list work and a Timeout object per call). Commands that share a timeout value
 * expire in the order they were sent, so each value keeps a FIFO: adding and settling are
 * O(1) (replies mostly arrive in order, so settled entries leave from the front at once),
 * and the one timer sleeps until the oldest unsettled deadline. Under steady load it fires
 * about once per timeout period, not once per command.
 */
export class Deadlines {
  private readonly queues = new Map<number, Queue>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private live = 0;

  /**
   * Registers a command that must settle within `ms`; `expire` runs once if it has not by
   * then. Returns the handle to pass to {@link settle}.
   */
  add(ms: number, expire: () => void): Pending {
    let queue = this.queues.get(ms);
    if (!queue) {
      queue = { ms, items: [], head: 0 };
      this.queues.set(ms, queue);
    }
    const entry: Pending = { deadline: performance.now() + ms, queue, settled: false, expire };
    queue.items.push(entry);
    // The timer holds the process open only while a command is actually waiting.
    if (this.live++ === 0) this.timer?.ref();
    if (entry.deadline < this.timerAt) this.arm(entry.deadline);
    return entry;
  }

  /** Marks a command as answered; its deadline is then ignored. */
  settle(entry: Pending): void {
    if (entry.settled) return;
    entry.settled = true;
    if (--this.live === 0) this.timer?.unref();
    const queue = entry.queue;
    const { items } = queue;
    while (queue.head < items.length && (items[queue.head] as Pending).settled) queue.head++;
    if (queue.head === items.length) {
      items.length = 0;
      queue.head = 0;
    } else if (queue.head > 1024 && queue.head * 2 > items.length) {
      items.splice(0, queue.head);
      queue.head = 0;
    }
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    // Ref'd, as it should be: arm() runs only while a command waits (add, or a sweep that left one).
    this.timer = setTimeout(() => this.sweep(), Math.max(0, Math.ceil(at - performance.now())));
  }

  private sweep(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const queue of this.queues.values()) {
      const { items } = queue;
      // Expiring settles the entry, which moves the head past it (and past settled ones behind it).
      while (queue.head < items.length && (items[queue.head] as Pending).deadline <= now) {
        const entry = items[queue.head] as Pending;
        this.settle(entry);
        entry.expire();
      }
      if (queue.head < items.length) next = Math.min(next, (items[queue.head] as Pending).deadline);
      else this.queues.delete(queue.ms);
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}

/**
 * The one timer behind every time limit of the library: Redis replies of every connection,
 * and the user functions a module bounds (a circuit breaker's call timeout).
 */
export const deadlines = new Deadlines();
