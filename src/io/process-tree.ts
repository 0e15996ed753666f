import fs from 'node:fs';
import path from 'node:path';
import { segment1Of } from '../core/naming.js';
import { grown, NameColumn } from './name-column.js';
import { STATE_DIR } from './state-store.js';

/** A message file the tool wrote, as it goes into the archive. */
export interface OwnFile {
  /** `{mailbox}/{folder…}/{file}.eml`, '/'-separated on every platform: the ZIP entry name. */
  name: string;
  size: number;
  mtimeMs: number;
}

/**
 * The listed files as columns, not objects: at 100,000 files the objects, their name strings and
 * boxed times were ~23 MB of V8 heap (heap snapshot), kept for the whole zip stage.
 * `at(i)` makes a short-lived object, so it reads like an array of OwnFile.
 */
export class FileList {
  private readonly names = new NameColumn();
  private sizes = new Float64Array(1024);
  private mtimes = new Float64Array(1024);
  totalBytes = 0;
  /** Symbolic links (junctions on Windows) met below the mailbox folders: not followed, so not archived. */
  readonly links: string[] = [];

  get length(): number {
    return this.names.count;
  }

  push(f: OwnFile): void {
    const i = this.names.count;
    if (i === this.sizes.length) {
      this.sizes = grown(this.sizes);
      this.mtimes = grown(this.mtimes);
    }
    this.names.push(f.name);
    this.sizes[i] = f.size;
    this.mtimes[i] = f.mtimeMs;
    this.totalBytes += f.size;
  }

  at(i: number): OwnFile | undefined {
    if (!(i >= 0 && i < this.length)) return undefined;
    return { name: this.names.get(i), size: this.sizes[i] as number, mtimeMs: this.mtimes[i] as number };
  }

  *[Symbol.iterator](): IterableIterator<OwnFile> {
    for (let i = 0; i < this.length; i++) yield this.at(i) as OwnFile;
  }
}

/** What the archive writer, the verifier and the cleaner read: a FileList, or an array in tests. */
export interface OwnFiles {
  readonly length: number;
  at(i: number): OwnFile | undefined;
}

/**
 * What the archive holds and what cleaning may delete are the same set: the .eml files the tool
 * names (`{32 hex}__….eml`, also the original tool's) at least one folder deep below a mailbox
 * folder. Not the state folder, not temp files, not anything an admin put there: those are neither
 * archived nor deleted. Symbolic links are not followed.
 */
export async function listOwnFiles(processFolder: string): Promise<FileList> {
  const out = new FileList();
  const top = await readDir(processFolder);
  for (const mailbox of top) {
    if (mailbox.isSymbolicLink() && mailbox.name !== STATE_DIR) out.links.push(mailbox.name);
    if (!mailbox.isDirectory() || mailbox.name === STATE_DIR || mailbox.name.includes('\\')) continue;
    await walk(processFolder, [mailbox.name], out);
  }
  return out;
}

export function ownFilePath(processFolder: string, name: string): string {
  return path.join(processFolder, ...name.split('/'));
}

async function walk(root: string, segments: string[], out: FileList): Promise<void> {
  const dir = path.join(root, ...segments);
  const entries = await readDir(dir);
  // The tool escapes '\\' in every name it writes; ZIP readers would take it for a separator.
  const ours = (e: fs.Dirent) => !e.name.includes('\\');
  for (const e of entries) if (e.isSymbolicLink()) out.links.push([...segments, e.name].join('/'));
  const files = segments.length >= 2 ? entries.filter((e) => e.isFile() && ours(e) && segment1Of(e.name) !== undefined) : [];
  // A few stats in flight: far faster than one at a time, without flooding the thread pool.
  for (let i = 0; i < files.length; i += 32) {
    const batch = files.slice(i, i + 32);
    const stats = await Promise.all(batch.map((f) => fs.promises.lstat(path.join(dir, f.name)).catch(() => undefined)));
    batch.forEach((f, j) => {
      const st = stats[j];
      // Gone since the listing, or replaced by something else: not ours to archive.
      if (st?.isFile()) out.push({ name: [...segments, f.name].join('/'), size: st.size, mtimeMs: st.mtimeMs });
    });
  }
  for (const e of entries) if (e.isDirectory() && ours(e)) await walk(root, [...segments, e.name], out);
}

/** Sorted, so archives list their entries in the same order on every file system. */
async function readDir(dir: string): Promise<fs.Dirent[]> {
  try {
    const entries = await fs.promises.readdir(dir, { withFileTypes: true });
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
