import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic.js';

/**
 * A JSON file written whole, flushed and renamed (writeFileAtomic), one write at a time, each of
 * everything recorded by then. Callers finish in parallel: a write begun earlier and renamed after a
 * later one would put back what it was begun with. A failed write is tried again by the next save.
 */
export class LatestJsonFile {
  private writing: Promise<void> = Promise.resolve();
  private unsaved = false;

  constructor(readonly file: string, private readonly content: () => unknown) {}

  /**
   * Says whether the content changed; resolves once a write holding every change recorded so far
   * is on disk, and rejects with that write's failure.
   */
  save(changed = true): Promise<void> {
    if (changed) this.unsaved = true;
    if (this.unsaved) this.writing = this.writing.catch(() => undefined).then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    // A write queued before this one took these changes too, and it is on disk.
    if (!this.unsaved) return;
    this.unsaved = false;
    try {
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      await writeFileAtomic(this.file, JSON.stringify(this.content(), null, 1), { sync: true });
    } catch (err) {
      this.unsaved = true;
      throw err;
    }
  }
}
