import path from 'node:path';
import { commitTempFile } from './atomic.js';
import { syncFileSystems, warmSyncShell, type SyncFs } from './sync-shell.js';

export type { SyncFs };

/**
 * Group commit, on Linux: messages are written to their temp files without a flush each, their
 * descriptors kept open; a batch (up to 512 files, 64 MB or 250 ms' worth) is first written back
 * by one syncfs(2) of its file system (`sync -f`, coreutils, run by sync-shell.ts), then each
 * file is flushed through its own descriptor (fdatasync), closed and renamed into place. The
 * syncfs does the disk's work for the whole batch at once; the fdatasync that follows finds the
 * file clean and is what vouches for it: it reports a write error of its own file (the descriptor
 * was open before the write, so an error another program's syncfs saw first is reported to it
 * too), and it is what reaches the disk where syncfs does not (FUSE, SMB and 9p file systems
 * write back without flushing). So a message still reaches its final name only once its bytes are
 * on the disk, as with a flush per file. If `sync -f` is missing or fails, the fdatasync per file
 * does it all, and later messages are written as before (writeFileAtomic).
 */
const BATCH_FILES = 512;
const BATCH_BYTES = 64 * 1024 * 1024;
/**
 * A batch is cut when this old, so that a slow trickle of messages is not held back. Each batch
 * starts `sync`, a few ms of the CPU: 10k messages took 69 batches at 256 files / 50 ms, 17 at
 * 1,024 / 300 ms, 0.3 s faster over 11 alternated runs; 512 / 250 ms sits between (descriptors
 * stay open until their batch is flushed).
 */
const BATCH_WAIT_MS = 250;

interface Entry {
  tmp: string;
  fd: number;
  final: string;
  done: (err?: unknown) => void;
}

export class GroupCommit {
  private pending: Entry[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  /** False off Linux, and once `sync -f` failed: then every message is flushed on its own. */
  usable: boolean;

  constructor(
    private readonly syncfs: SyncFs = syncFileSystems,
    usable = process.platform === 'linux',
    private readonly warmer: (dir: string) => void = warmSyncShell,
  ) {
    this.usable = usable;
  }

  /**
   * Messages are about to be written in `dir`: the flushing shell of its file system is started now,
   * while the server prepares them, rather than by the first batch. A shell started from a process
   * of ~90 MB takes 3-4 ms of the main thread and ~10 ms more to answer its first request; after a
   * run's last message that wait was the run's (a run with 100 new messages).
   */
  warm(dir: string): void {
    if (this.usable) this.warmer(dir);
  }

  /**
   * Flushes, closes and renames tmp (of `bytes`, open as fd) to final after its batch's syncfs;
   * rejects (fd closed, tmp removed) if that fails.
   */
  add(tmp: string, fd: number, final: string, bytes = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ tmp, fd, final, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.pendingBytes += bytes;
      if (this.pending.length >= BATCH_FILES || this.pendingBytes >= BATCH_BYTES) this.cut();
      else this.timer ??= setTimeout(() => this.cut(), BATCH_WAIT_MS);
    });
  }

  /** Commits what is pending now, not waiting for the batch to fill: a folder is done. */
  flush(): void {
    if (this.pending.length > 0) this.cut();
  }

  private cut(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    // One batch at a time: the next one gathers while this one's flush runs.
    this.running = this.running.then(() => this.commit(batch));
  }

  private async commit(batch: Entry[]): Promise<void> {
    if (this.usable) {
      const dirs = [...new Set(batch.map((e) => path.dirname(path.resolve(e.final))))];
      // Only the speed depends on it: each file's own fdatasync below vouches for it either way.
      await this.syncfs(dirs).catch(() => (this.usable = false));
    }
    await Promise.all(batch.map((e) => commitTempFile(e.tmp, e.fd, e.final).then(() => e.done(), (err: unknown) => e.done(err))));
  }
}

/** The process's one group: a syncfs covers every folder of a file system at once. */
export const groupCommit = new GroupCommit();
