import path from 'node:path';
import { foldName, type FolderStore } from '../io/folder-store.js';
import { scanFolder } from './folder-sync.js';

/**
 * The folders an earlier run saved, read from disk while the server logs in and lists: the CPU and
 * the disk would wait for the server otherwise. One after another, so libuv's other threads stay
 * free for the connection. Each read is handed out once (`take`), for a folder's first attempt.
 */
export class ReadAhead {
  private readonly scans = new Map<string, Promise<FolderStore | undefined>>();

  constructor(mailboxDir: string, keys: string[], dryRun: boolean) {
    const folded = new Map<string, number>();
    for (const f of keys.map(foldName)) folded.set(f, (folded.get(f) ?? 0) + 1);
    let previous: Promise<unknown> = Promise.resolve();
    for (const key of keys) {
      const dir = path.join(mailboxDir, ...key.split('/'));
      const inside = path.relative(mailboxDir, dir);
      // A key of a hand-edited state file that leads elsewhere is not read; nor are folders whose
      // names differ only in case, which share a folder on Windows and macOS: each must see
      // what the other saved, so they are read when their turn comes.
      if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside) || (folded.get(foldName(key)) ?? 0) > 1) continue;
      // A failed read is made again, in the folder's turn, where its error is reported.
      const scan = previous.then(() => scanFolder(dir, dryRun)).catch(() => undefined);
      this.scans.set(key, scan);
      previous = scan;
    }
  }

  /** Forgets the folders this run does not back up (excluded, or gone from the server). */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.scans.keys()) if (!keys.has(key)) this.scans.delete(key);
  }

  take(key: string): Promise<FolderStore | undefined> | undefined {
    const scan = this.scans.get(key);
    this.scans.delete(key);
    return scan;
  }
}
