import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { NameCounts, type Hash64 } from '../core/compact-tables.js';
import { messageIdOf } from '../core/headers.js';
import { isEmlName, segment1Of } from '../core/naming.js';
import { isTempName, streamToFileAtomic, streamToTempFile, writeFileAtomic, writeTempFile } from './atomic.js';
import { groupCommit, type GroupCommit } from './group-commit.js';
import { droppedBuffer, isReleased, releaseBuffer, releaseIfOwned } from './memory.js';

/**
 * One local folder of .eml files: the truth about what is backed up.
 *
 * A message counts as on disk when a file with its segment1 has either its exact name or its exact
 * size. The original rule (segment1 alone) silently dropped different messages that share a
 * Message-ID (drafts saved again, list copies, broken mailers); name-or-size keeps them apart while
 * the same message, fetched again after a UIDVALIDITY reset or a server move, still matches.
 *
 * Only files found by scan() count: what this run writes is matched by the run's own plan (twins
 * by their bytes), as if the whole folder had been planned before the first write.
 */
export class FolderStore {
  /**
   * segment1 → file name(s), for every .eml on disk when the folder was scanned. One name is kept
   * as it is, not in an array of one: a folder is nearly all such names, tens of thousands.
   */
  private readonly bySegment = new Map<string, string | string[]>();
  private readonly sizes = new Map<string, number>();
  /**
   * Names this run wrote, folded: taken for uniqueName, never matched by matchBySize or matchByName.
   * By hash (NameCounts): one per saved message, so a Set of strings was the largest thing a big
   * folder kept; a collision can only make a free name look taken.
   */
  private readonly written: NameCounts;
  /** Per twin's file, the files this run wrote with its Message-ID and size but other bytes. */
  private readonly variants = new Map<string, string[]>();
  /** Files found by scan() that hold a message of this run. */
  private readonly claimed = new Set<string>();
  private emlCount = 0;
  /**
   * Names found by scan() and not yet indexed. A folder with nothing new only needs the count, so
   * the index (two maps over thousands of names, and their garbage) is built on first use.
   */
  private unindexed: string[] = [];

  /** `hash` only for tests, which make names collide; `group` too. */
  constructor(
    readonly dir: string,
    hash?: Hash64,
    private readonly group: GroupCommit = groupCommit,
  ) {
    this.written = new NameCounts(hash);
    const joined = path.join(dir, 'x');
    this.prefix = joined.slice(0, -1);
  }

  /** `dir` normalized, with its separator: a plain file name appended is what path.join gives, without its cost per message. */
  private readonly prefix: string;

  private pathOf(fileName: string): string {
    return this.prefix + fileName;
  }

  /**
   * Reads the folder once; removes temp files an interrupted run left behind, unless told not to
   * (a dry run holds no lock: they may be a running backup's).
   */
  async scan(removeTemps = true): Promise<void> {
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
        if (removeTemps) await fs.promises.rm(this.pathOf(e.name), { force: true });
        continue;
      }
      if (isEmlName(e.name)) this.unindexed.push(e.name);
    }
    this.emlCount += this.unindexed.length;
  }

  get count(): number {
    return this.emlCount;
  }

  /** Indexes the names scan() found, which planning needs first: for a caller waiting on the server anyway. */
  prepare(): void {
    this.index();
  }

  /**
   * The file that holds this message, by its size: the file of its exact name if its length is the
   * message's size, else any file with its segment1 and that length. Files already matched to
   * another message of the run (claimed) do not count: two messages that share a name, or a
   * Message-ID and a size, are never both taken for one file (a run interrupted between writing
   * the first and the second would otherwise skip the second for good).
   */
  async matchBySize(segment1: string, fileName: string, size: number): Promise<string | undefined> {
    const names = this.namesOf(segment1).filter((name) => !this.claimed.has(name));
    if (names.includes(fileName) && (await this.sizeOf(fileName)) === size) return fileName;
    for (const name of names) if ((await this.sizeOf(name)) === size) return name;
    return undefined;
  }

  /** By its exact name alone: for servers whose RFC822.SIZE is not the length of what they send. */
  matchByName(segment1: string, fileName: string): string | undefined {
    return !this.claimed.has(fileName) && this.namesOf(segment1).includes(fileName) ? fileName : undefined;
  }

  /**
   * `name`, or `name` with `__2`, `__3`… when a different message already took it. Names are
   * compared as Windows and macOS compare them (letter case and Unicode form ignored): there,
   * "Re Hello" and "RE Hello" are one file, and writing the second would replace the first.
   * `taken` holds folded names (`foldName`).
   */
  uniqueName(fileName: string, taken: ReadonlySet<string>): string {
    const free = (name: string) => {
      const folded = foldName(name);
      return !taken.has(folded) && !this.holds(name, folded);
    };
    if (free(fileName)) return fileName;
    for (let n = 2; ; n++) {
      const candidate = fileName.replace(/\.eml$/i, `__${n}.eml`);
      if (free(candidate)) return candidate;
    }
  }

  /** Whether a file of this name (`folded`, folded) is on disk; every candidate name starts with its segment1. */
  private holds(fileName: string, folded: string): boolean {
    if (this.written.has(folded)) return true;
    const seg = segment1Of(fileName);
    return seg !== undefined && this.namesOf(seg).some((name) => foldName(name) === folded);
  }

  /**
   * The original tool named files by a hash of only part of the Message-ID, so a match on that
   * hash alone would repeat its collisions (`<1@a>` vs `<1@b>`). Confirm by the file's own header.
   */
  async matchLegacy(legacySegment: string | undefined, messageId: string | undefined, size?: number): Promise<string | undefined> {
    if (!legacySegment || !messageId) return undefined;
    for (const name of this.namesOf(legacySegment)) {
      if (this.claimed.has(name) || (size !== undefined && (await this.sizeOf(name)) !== size)) continue;
      if ((await this.messageIdOfFile(name))?.trim() === messageId.trim()) return name;
    }
    return undefined;
  }

  /** This file holds a message of the run: no other message counts as saved by it. */
  claim(fileName: string): void {
    this.claimed.add(fileName);
  }

  /**
   * Where these bytes are already: in a file of this run (the twin's, one this run wrote, or one
   * another message of the run was matched to), so the server holds them twice; or in a file an
   * earlier run saved (the file found for a message being verified, or an unclaimed one with the
   * same segment1, which is then claimed); or nowhere.
   */
  async copyOf(twinOf: string, data: Buffer, verifying = false): Promise<'this run' | 'earlier run' | undefined> {
    if (isReleased(data)) throw new Error(`internal error: the bytes compared with ${twinOf} were freed`);
    const seg = segment1Of(twinOf);
    const scanned = seg === undefined ? [] : this.namesOf(seg);
    for (const name of new Set([twinOf, ...(this.variants.get(twinOf) ?? []), ...scanned])) {
      if (name !== twinOf && (await this.sizeOf(name)) !== data.length) continue;
      if (!(await this.sameBytes(name, data))) continue;
      return this.provenance(name, twinOf, verifying);
    }
    return undefined;
  }

  private provenance(name: string, twinOf: string, verifying: boolean): 'this run' | 'earlier run' {
    // A name the run gave is never one scan() found (uniqueName): a scanned file that seems
    // written is a hash collision, and its claim must stand.
    if (this.written.has(foldName(name)) && !this.scanned(name)) return 'this run';
    if (verifying ? name !== twinOf && this.claimed.has(name) : name === twinOf || this.claimed.has(name)) return 'this run';
    this.claimed.add(name);
    return 'earlier run';
  }

  /** A file written with the Message-ID and size of `twinOf` but other bytes: a later copy may be its. */
  noteVariant(twinOf: string, fileName: string): void {
    const list = this.variants.get(twinOf);
    if (list) list.push(fileName);
    else this.variants.set(twinOf, [fileName]);
  }

  /** Messages will be written here soon (GroupCommit.warm). */
  expectWrites(): void {
    this.group.warm(this.dir);
  }

  async ensureDir(): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Writes a message and frees its Buffer (releaseBuffer): the caller must not use it after.
   * Resolves once the bytes are in the message's temp file, with `committed`, which settles once
   * they are under its final name: after their batch's flush where a group commit is used
   * (group-commit.ts), at once where each message was flushed on its own.
   */
  async write(fileName: string, data: Buffer): Promise<{ committed: Promise<void> }> {
    // A released Buffer reads as empty and would be written as an empty message without a word.
    if (isReleased(data)) throw new Error(`internal error: the bytes of ${fileName} were freed before they were written`);
    const final = this.pathOf(fileName);
    if (!this.group.usable) {
      await writeFileAtomic(final, data);
      this.remember(fileName);
      releaseBuffer(data);
      return { committed: Promise.resolve() };
    }
    const { tmp, fd } = await writeTempFile(final, data);
    const bytes = data.length;
    releaseBuffer(data);
    return { committed: this.group.add(tmp, fd, final, bytes).then(() => this.remember(fileName)) };
  }

  /** Commits the messages written and not yet under their final names, without waiting for their batch to fill. */
  flushWrites(): void {
    this.group.flush();
  }

  /**
   * Writes a streamed message. As write(): resolves once its bytes are in its temp file, with
   * `committed`, so the connection can fetch the next body while this one waits for its batch's
   * flush (a 2-4 MB file flushed on its own held its connection 16 ms, a third of its download).
   */
  async writeStream(fileName: string, stream: Readable): Promise<{ bytes: number; committed: Promise<void> }> {
    const final = this.pathOf(fileName);
    // Each 1 MB piece is freed once written: left to the collector, a 10k backup's 194 MB of
    // large messages forced ~26 full collections of ~10 ms. The socket's reads they were copied
    // from are left to it, and counted below.
    const opts = { written: releaseIfOwned };
    if (!this.group.usable) {
      const bytes = await streamToFileAtomic(final, stream, opts);
      this.remember(fileName);
      droppedBuffer(bytes);
      return { bytes, committed: Promise.resolve() };
    }
    const { tmp, fd, bytes } = await streamToTempFile(final, stream, opts);
    droppedBuffer(bytes);
    return { bytes, committed: this.group.add(tmp, fd, final, bytes).then(() => this.remember(fileName)) };
  }

  /**
   * A streamed message that may repeat `twinOf`: written, then compared with it file to file, and
   * removed again when the bytes are the same. Returns its size when it was kept.
   */
  async writeStreamUnlessSame(fileName: string, stream: Readable, twinOf: string, verifying = false): Promise<number | 'this run' | 'earlier run'> {
    const { bytes, committed } = await this.writeStream(fileName, stream);
    // Compared under its final name: its batch is not waited for.
    this.group.flush();
    await committed;
    let same: string | undefined;
    for (const other of [twinOf, ...(this.variants.get(twinOf) ?? [])]) {
      // A name given to an earlier message that was never written (its bytes were on disk, or it
      // was deleted on the server) can come round again: never take a file for a copy of itself.
      if (foldName(other) === foldName(fileName)) continue;
      if (await sameFiles(this.pathOf(other), this.pathOf(fileName))) {
        same = other;
        break;
      }
    }
    if (same === undefined) {
      this.noteVariant(twinOf, fileName);
      return bytes;
    }
    await fs.promises.rm(this.pathOf(fileName));
    // The name is free again, unless another written name shares its hash: a remove only takes
    // back this write's add.
    this.written.remove(foldName(fileName));
    this.emlCount--;
    return this.provenance(same, twinOf, verifying);
  }

  async sameBytes(fileName: string, data: Buffer): Promise<boolean> {
    try {
      return (await fs.promises.readFile(this.pathOf(fileName))).equals(data);
    } catch {
      return false;
    }
  }

  private remember(fileName: string): void {
    this.written.add(foldName(fileName));
    // Counted per write, not per name the hash has not seen, which a collision would undercount,
    // and a count too low could make the next run trust its mark after files were deleted. One
    // too high (a message written twice, as when imapflow's fallback FETCH repeats a UID) only
    // makes the next run distrust its mark and read the folder again.
    if (isEmlName(fileName)) this.emlCount++;
  }

  private scanned(name: string): boolean {
    const seg = segment1Of(name);
    return seg !== undefined && this.namesOf(seg).includes(name);
  }

  /** The scanned files of this segment1. */
  private namesOf(segment1: string): readonly string[] {
    const names = this.index().bySegment.get(segment1);
    return names === undefined ? [] : typeof names === 'string' ? [names] : names;
  }

  private index(): this {
    if (this.unindexed.length > 0) {
      for (const name of this.unindexed) this.add(name);
      this.unindexed = [];
    }
    return this;
  }

  private add(fileName: string): void {
    const seg = segment1Of(fileName);
    if (!seg) return;
    const names = this.bySegment.get(seg);
    if (names === undefined) this.bySegment.set(seg, fileName);
    else if (typeof names === 'string') this.bySegment.set(seg, [names, fileName]);
    else names.push(fileName);
  }

  private async sizeOf(name: string): Promise<number> {
    let size = this.sizes.get(name);
    if (size === undefined) {
      size = (await fs.promises.stat(this.pathOf(name))).size;
      this.sizes.set(name, size);
    }
    return size;
  }

  private async messageIdOfFile(name: string): Promise<string | undefined> {
    const handle = await fs.promises.open(this.pathOf(name), 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
      return messageIdOf(buf.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  }
}

/** A file name as case-insensitive file systems (NTFS, APFS) compare it (σ and ς too). */
export function foldName(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/** Byte for byte, in 1 MB pieces; a file that cannot be read is not the same. */
async function sameFiles(a: string, b: string): Promise<boolean> {
  let ha: fs.promises.FileHandle | undefined;
  let hb: fs.promises.FileHandle | undefined;
  try {
    ha = await fs.promises.open(a, 'r');
    hb = await fs.promises.open(b, 'r');
    const size = (await ha.stat()).size;
    if ((await hb.stat()).size !== size) return false;
    const ba = Buffer.allocUnsafe(1024 * 1024);
    const bb = Buffer.allocUnsafe(1024 * 1024);
    for (let pos = 0; pos < size; ) {
      const [ra, rb] = await Promise.all([ha.read(ba, 0, ba.length, pos), hb.read(bb, 0, bb.length, pos)]);
      if (ra.bytesRead === 0 || ra.bytesRead !== rb.bytesRead || !ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
      pos += ra.bytesRead;
    }
    return true;
  } catch {
    return false;
  } finally {
    await ha?.close();
    await hb?.close();
  }
}
