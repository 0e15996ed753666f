/**
 * Lets the FETCH stream go on while earlier messages are written and flushed: up to `limit` writes
 * and `maxBytes` of message data in flight, so memory stays bounded whatever the message sizes, and
 * the disk's flush latency overlaps with the network. The first failure stops further work and is
 * rethrown.
 *
 * Waiters are woken by the write that ends, not by Promise.race over the writes in flight: a race
 * per message hung a reaction on every write still in flight, ~8 per message (18 MB of the 371 MB
 * a 10k full backup allocated, and a microtask for each).
 */
export class WriteQueue {
  private count = 0;
  /** Work that goes on after its task's slot was freed (a file's commit, see follow). */
  private following = 0;
  private bytes = 0;
  private failure: { error: unknown } | undefined;
  /** Adders and drainers waiting for a write to end; each checks its own condition again. */
  private waiting: Array<() => void> = [];

  constructor(
    private readonly limit: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  async add(task: () => Promise<void>, size = 0): Promise<void> {
    this.throwIfFailed();
    while (this.count > 0 && (this.count >= this.limit || this.bytes + size > this.maxBytes)) {
      await this.writeEnded();
      this.throwIfFailed();
    }
    this.count++;
    this.bytes += size;
    let written: Promise<void>;
    try {
      written = task();
    } catch (thrown) {
      // A task that throws instead of rejecting must still end its slot, or drain() waits for ever.
      written = Promise.reject(thrown);
    }
    this.track(written, () => {
      this.count--;
      this.bytes -= size;
    });
  }

  /**
   * What a task left going on when it ended, such as its file's rename after a group flush: it
   * holds no slot, but drain() waits for it and its failure counts as the task's.
   */
  follow(work: Promise<void>): void {
    this.following++;
    this.track(work, () => this.following--);
  }

  /**
   * Waits for every write, then (after `flush`, which may hurry what they left going) for what
   * they left going; rethrows the first failure.
   */
  async drain(flush?: () => void): Promise<void> {
    while (this.count > 0) await this.writeEnded();
    flush?.();
    while (this.following > 0) await this.writeEnded();
    this.throwIfFailed();
  }

  /** When `work` settles: its first failure kept, `release` run, every waiter woken to look again. */
  private track(work: Promise<void>, release: () => void): void {
    const ended = () => {
      release();
      const waiting = this.waiting;
      this.waiting = [];
      for (const wake of waiting) wake();
    };
    work.then(ended, (error: unknown) => {
      this.failure ??= { error };
      ended();
    });
  }

  private writeEnded(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
