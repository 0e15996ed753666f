import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { messageIdOf } from '../core/headers.js';
import { segment1Of } from '../core/naming.js';
import { isTempName, streamToFileAtomic, writeFileAtomic } from './atomic.js';

/** One local folder of .eml files: the truth about what is backed up. */
export class FolderStore {
  /** segment1 → file name, for every .eml already on disk. */
  private readonly bySegment = new Map<string, string>();
  private emlCount = 0;

  constructor(readonly dir: string) {}

  /** Reads the folder once; removes temp files an interrupted run left behind. */
  async scan(): Promise<void> {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (!e.isFile()) continue;
      if (isTempName(e.name)) {
        await fs.promises.rm(path.join(this.dir, e.name), { force: true });
        continue;
      }
      const seg = segment1Of(e.name);
      if (!seg) continue;
      this.emlCount++;
      if (!this.bySegment.has(seg)) this.bySegment.set(seg, e.name);
    }
  }

  get count(): number {
    return this.emlCount;
  }

  has(segment1: string): boolean {
    return this.bySegment.has(segment1);
  }

  /**
   * The original tool named files by a hash of only part of the Message-ID, so a match on that
   * hash alone would repeat its collisions (`<1@a>` vs `<1@b>`). Confirm by the file's own header.
   */
  async hasLegacy(legacySegment: string | undefined, messageId: string | undefined): Promise<boolean> {
    const name = legacySegment ? this.bySegment.get(legacySegment) : undefined;
    if (!name || !messageId) return false;
    const handle = await fs.promises.open(path.join(this.dir, name), 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return messageIdOf(buf.subarray(0, bytesRead))?.trim() === messageId.trim();
    } finally {
      await handle.close();
    }
  }

  async ensureDir(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async write(fileName: string, data: Buffer): Promise<void> {
    await writeFileAtomic(path.join(this.dir, fileName), data);
    this.remember(fileName);
  }

  async writeStream(fileName: string, stream: Readable): Promise<number> {
    const bytes = await streamToFileAtomic(path.join(this.dir, fileName), stream);
    this.remember(fileName);
    return bytes;
  }

  private remember(fileName: string): void {
    const seg = segment1Of(fileName);
    if (seg && !this.bySegment.has(seg)) this.bySegment.set(seg, fileName);
    this.emlCount++;
  }
}
