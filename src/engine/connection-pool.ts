import type { ImapSource } from '../io/imap-source.js';

/**
 * Up to `size` connections to one mailbox, shared by the folders backed up in parallel and by the
 * UID ranges of one large folder. A broken connection is discarded, never handed out again.
 */
export class ConnectionPool {
  private readonly idle: ImapSource[] = [];
  private readonly all = new Set<ImapSource>();
  private readonly waiters: ((s: ImapSource | undefined) => void)[] = [];
  private opening = 0;
  private closed = false;

  constructor(
    readonly size: number,
    private readonly connect: () => Promise<ImapSource>,
  ) {}

  /** A connection, waiting for one to be released when all are busy. */
  async acquire(): Promise<ImapSource> {
    if (this.closed) throw new Error('connection pool closed');
    const ready = await this.tryAcquire();
    if (ready) return ready;
    const waited = await new Promise<ImapSource | undefined>((resolve) => this.waiters.push(resolve));
    return waited ?? this.acquire();
  }

  /** A connection if one is idle or may still be opened, else undefined (never waits for others). */
  async tryAcquire(): Promise<ImapSource | undefined> {
    while (this.idle.length > 0) {
      const s = this.idle.pop() as ImapSource;
      if (s.usable) return s;
      await this.discard(s);
    }
    if (this.all.size + this.opening >= this.size) return undefined;
    this.opening++;
    try {
      const s = await this.connect();
      this.all.add(s);
      return s;
    } finally {
      this.opening--;
    }
  }

  release(s: ImapSource): void {
    if (!s.usable) {
      void this.discard(s);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(s);
    else this.idle.push(s);
  }

  async discard(s: ImapSource): Promise<void> {
    this.all.delete(s);
    await s.close();
    // A slot is free again: a waiter may now open a new connection.
    this.waiters.shift()?.(undefined);
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    await Promise.all([...this.all].map((s) => s.close()));
    this.all.clear();
    this.idle.length = 0;
  }
}

/** Runs `fn` on a connection of the pool and gives it back, broken or not. */
export async function withConnection<T>(pool: ConnectionPool, fn: (s: ImapSource) => Promise<T>): Promise<T> {
  const source = await pool.acquire();
  try {
    return await fn(source);
  } finally {
    pool.release(source);
  }
}
