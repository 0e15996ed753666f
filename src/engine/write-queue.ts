/**
 * Lets the FETCH stream go on while earlier messages are written and flushed: up to `limit` writes
 * and `maxBytes` of message data in flight, so memory stays bounded whatever the message sizes, and
 * the disk's flush latency overlaps with the network. The first failure stops further work and is
 * rethrown.
 */
export class WriteQueue {
  private readonly inFlight = new Map<Promise<void>, number>();
  private bytes = 0;
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly limit: number,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  async add(task: () => Promise<void>, size = 0): Promise<void> {
    this.throwIfFailed();
    while (this.inFlight.size > 0 && (this.inFlight.size >= this.limit || this.bytes + size > this.maxBytes)) {
      await Promise.race(this.inFlight.keys());
      this.throwIfFailed();
    }
    this.bytes += size;
    const p: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.bytes -= size;
      });
    this.inFlight.set(p, size);
  }

  /** Waits for every write; rethrows the first failure. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight.keys());
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
