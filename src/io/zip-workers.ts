import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { WORKER_SOURCE } from './zip-worker-source.js';

export interface DeflatedItem {
  crc32: number;
  method: 0 | 8;
  compressedSize: number;
}
export interface DeflateReply {
  /** In file order; their data lies one after the other from the start of the slot. */
  items: DeflatedItem[];
}
export interface CheckEntry {
  index: number;
  offset: number;
  compressedSize: number;
  size: number;
  method: 0 | 8;
  crc32: number;
}

interface Thread {
  worker: Worker;
  busy: number;
  ended: Promise<void>;
  /** Why the thread is gone, once it is: work sent to it would never be answered. */
  gone?: Error;
}

/** What the tasks a close() cut short, and work sent after it, fail with. */
const STOPPED = 'the archive workers were stopped';

/** How long close() waits for a thread to end itself before it terminates it. */
const QUIT_WAIT_MS = 10_000;

/** Two tasks per worker keep it busy while the main thread takes the previous result. */
export const TASKS_PER_WORKER = 2;

export function workerCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/**
 * Worker threads that compress files for the archive writer and check entries for the verifier,
 * so every core works. Measured here (2 cores, 20,000 mails): zlib's async calls, one per entry,
 * reached 32 MB/s, because each costs the main thread ~100 µs of stream set-up; batches of whole
 * files compressed with the sync calls in two workers reached 56 MB/s.
 */
export class ZipWorkers {
  private readonly threads: Thread[] = [];
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; thread: Thread }>();
  private nextId = 1;

  /**
   * `direct: false` makes the workers take zlib's public, copying calls; `quitWaitMs` is how long
   * close() waits for a busy thread (both for tests).
   */
  constructor(count = workerCount(), opts: { direct?: false; quitWaitMs?: number } = {}) {
    this.quitWaitMs = opts.quitWaitMs ?? QUIT_WAIT_MS;
    const workerData = { ...(opts.direct === false ? { direct: false } : {}), stop: this.stop.buffer };
    for (let i = 0; i < count; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 64 } });
      // A worker that ends without an error message (killed, out of memory) must not leave a wait hanging.
      const thread: Thread = { worker, busy: 0, ended: Promise.resolve() };
      thread.ended = new Promise<void>((resolve) => worker.once('exit', (code) => {
        thread.gone = new Error(`an archive worker thread stopped (exit code ${code})`);
        this.failAll(thread.gone);
        resolve();
      }));
      worker.on('message', (msg: { id: number; error?: { message: string; code?: string; path?: string } }) => this.settle(msg));
      worker.on('error', (err) => this.failAll(err));
      this.threads.push(thread);
    }
  }

  private readonly quitWaitMs: number;
  /** Set by close(): the threads drop the tasks they are on at the next file or 1 MB piece, and no more are sent. */
  private readonly stop = new Int32Array(new SharedArrayBuffer(4));

  get size(): number {
    return this.threads.length;
  }

  /**
   * Compresses the files into `slot` (a view of a SharedArrayBuffer), which must hold their total
   * size: what deflate cannot shrink is stored.
   */
  deflate(files: { path: string; name: string; size: number }[], level: number, slot: Uint8Array): Promise<DeflateReply> {
    return this.send({ op: 'deflate', files, level, slot }) as Promise<DeflateReply>;
  }

  /**
   * Compresses (level 0: copies) one large file on one worker, a piece at a time into `slot`;
   * `write` takes each piece before the next is made. Returns the file's CRC-32.
   */
  async deflateLarge(file: { path: string; name: string; size: number }, level: number, slot: Uint8Array, write: (piece: Uint8Array) => Promise<void>): Promise<number> {
    const target = this.leastBusy();
    const sid = this.nextId++;
    await this.send({ op: 'open', sid, ...file, level }, target);
    try {
      for (;;) {
        const r = (await this.send({ op: 'piece', sid, slot }, target)) as { written: number; done: boolean; crc32: number };
        await write(slot.subarray(0, r.written));
        if (r.done) return r.crc32;
      }
    } catch (err) {
      // The worker closes the file itself when a piece fails; this covers a failed write.
      this.send({ op: 'drop', sid }, target).catch(() => undefined);
      throw err;
    }
  }

  /** Whether the workers compress without allocating (see zip-worker-source.ts). */
  async direct(): Promise<boolean> {
    return ((await this.send({ op: 'probe' })) as { direct: boolean }).direct;
  }

  /** Reads each entry's data at its offset, inflates it (1 MB at a time) and compares size and CRC. */
  check(zipPath: string, entries: CheckEntry[]): Promise<{ problems: [number, string][] }> {
    return this.send({ op: 'check', zipPath, entries }) as Promise<{ problems: [number, string][] }>;
  }

  /**
   * Ends the threads. Each is asked to end itself once the task it is on is done, because
   * terminate() stops a thread wherever its code is, and Node (20 to 24, measured) aborts the whole
   * process when that is inside a zlib stream's constructor: "close before init". A close right
   * after a failure or a Ctrl+C, while the workers were busy, could hit it. The tasks under way
   * and queued stop at their next file or 1 MB piece (the shared stop flag), so this is quick; a
   * thread still busy after quitWaitMs is terminated all the same: a hang would be worse. (A
   * second Ctrl+C, process.exit, still stops them where they are: a thread makes a zlib stream a
   * few times per run, so that window is microseconds.) Work sent after close() is refused.
   */
  async close(): Promise<void> {
    Atomics.store(this.stop, 0, 1);
    this.failAll(new Error(STOPPED));
    await Promise.all(this.threads.map(async (t) => {
      t.worker.postMessage({ op: 'quit' });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.quitWaitMs)));
      if ((await Promise.race([t.ended, late])) === 'late') await t.worker.terminate();
      clearTimeout(timer);
      await t.ended;
    }));
  }

  /** The thread with the fewest tasks among those still running (any, if none is: send refuses it). */
  private leastBusy(): Thread {
    const running = this.threads.filter((t) => t.gone === undefined);
    return (running.length > 0 ? running : this.threads).reduce((a, b) => (b.busy < a.busy ? b : a));
  }

  private send(msg: object, thread = this.leastBusy()): Promise<unknown> {
    if (Atomics.load(this.stop, 0) === 1) return Promise.reject(new Error(STOPPED));
    if (thread.gone) return Promise.reject(thread.gone);
    const id = this.nextId++;
    thread.busy++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, thread });
      thread.worker.postMessage({ ...msg, id });
    });
  }

  private settle(msg: { id: number; error?: { message: string; code?: string; path?: string } }): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.thread.busy--;
    if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code, path: msg.error.path }));
    else p.resolve(msg);
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.thread.busy--;
      p.reject(err);
    }
  }
}
