import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';
import type yazl from 'yazl';
import type { OwnFile } from './process-tree.js';

/**
 * Feeds yazl so that both cores compress and memory stays flat, whatever the number of files.
 *
 * - Files up to BUFFER_MAX go in with addBuffer: yazl deflates each on the libuv thread pool at
 *   once, so several compress in parallel (a stream entry is deflated alone, one after another).
 * - Every GROUP_* files, and every larger file, is a streamed "checkpoint" entry: yazl asks for
 *   its stream only when every entry before it is written, which is the one progress signal its
 *   public API gives. No checkpoint is added before the previous one was reached, so at most two
 *   groups of files are in memory.
 * - Files are read ahead a few at a time: the thread pool hides the open/read/close latency.
 */
const BUFFER_MAX = 4 * 1024 * 1024;
const GROUP_BYTES = 4 * 1024 * 1024;
// Each addBuffer allocates its deflate state (about 300 KB at level 6) at once.
const GROUP_ENTRIES = 32;
const READ_AHEAD = 8;
const OUTPUT_MAX = 8 * 1024 * 1024;

export interface FeedOptions {
  compressionLevel: number;
  pathOf: (f: OwnFile) => string;
  entryOptions: (f: OwnFile) => { mtime: Date; forceDosTimestamp: boolean; mode: number };
  /** Set once the archive failed; the feeder stops adding entries. */
  failed: () => Error | undefined;
  /** Resolves (never rejects) when the archive failed, so no wait outlives a failure. */
  failure: Promise<void>;
  onError: (err: Error) => void;
  /** Bytes written into the archive stream but not yet to the file. */
  pendingOutput: () => number;
}

/** Adds every file to `zip` and ends it; returns each file's CRC-32 as read from disk. */
export async function feedZip(zip: yazl.ZipFile, files: OwnFile[], opts: FeedOptions): Promise<Uint32Array> {
  const crc32 = new Uint32Array(files.length);
  const reads = new Map<number, Promise<Buffer>>();
  const readAhead = (from: number) => {
    for (let j = from; j < files.length && j < from + READ_AHEAD; j++) {
      const f = files[j] as OwnFile;
      if (reads.has(j) || f.size > BUFFER_MAX) continue;
      const read = fs.promises.readFile(opts.pathOf(f));
      // Awaited in turn; a failure elsewhere may leave it unawaited, which must not crash the run.
      read.catch(() => undefined);
      reads.set(j, read);
    }
  };
  const trimmer = new EntryTrimmer(zip);
  let previous: Promise<void> = Promise.resolve();
  // Racing each wait against the failure promise would pile one reaction per wait onto it (and
  // keep every awaited buffer alive); one reaction wakes whichever checkpoint is awaited.
  let wakeOnFailure = () => undefined as void;
  void opts.failure.then(() => wakeOnFailure());
  let groupBytes = 0;
  let groupEntries = 0;
  for (let i = 0; i < files.length && !opts.failed(); i++) {
    const f = files[i] as OwnFile;
    readAhead(i);
    const read = reads.get(i);
    reads.delete(i);
    const data = read ? await read : undefined;
    if (opts.failed()) break;
    if (data && data.length !== f.size) throw new Error(`${f.name} changed while it was being archived`);
    const options = { ...opts.entryOptions(f), compressionLevel: opts.compressionLevel };
    if (data && trimmer.active && groupBytes < GROUP_BYTES && groupEntries < GROUP_ENTRIES) {
      crc32[i] = zlib.crc32(data) >>> 0;
      zip.addBuffer(data, f.name, options);
      groupBytes += f.size;
      groupEntries++;
      continue;
    }
    await previous;
    // yazl writes finished entries into its output without waiting; let the disk catch up.
    while (opts.pendingOutput() > OUTPUT_MAX && !opts.failed()) await sleep(5);
    if (opts.failed()) break;
    let reached!: () => void;
    previous = new Promise<void>((resolve) => (reached = resolve));
    wakeOnFailure = reached;
    const index = i;
    let held = data;
    zip.addReadStreamLazy(f.name, { ...options, size: f.size }, (cb) => {
      trimmer.trimBefore(index);
      reached();
      const source: Readable = held ? Readable.from([held]) : fs.createReadStream(opts.pathOf(f), { highWaterMark: 1024 * 1024 });
      // yazl keeps this function for the whole archive; the data need not stay with it.
      held = undefined;
      source.on('error', opts.onError);
      cb(null, source.pipe(crcTap((crc) => (crc32[index] = crc))));
    });
    groupBytes = 0;
    groupEntries = 0;
  }
  trimmer.restore();
  if (!opts.failed()) zip.end();
  return crc32;
}

function crcTap(done: (crc: number) => void): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = zlib.crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb) {
      done(crc >>> 0);
      cb();
    },
  });
}

interface YazlInternals {
  entries?: { state?: unknown; doFileDataPump?: unknown }[];
}

/**
 * yazl looks for its next entry by scanning its entry list from the start, which costs O(n²) over
 * an archive (about 7 s at 70,000 entries, growing fourfold per doubling), and keeps every entry's
 * pump closure, which for addBuffer holds the file's data. Entries already written are parked
 * aside without their closure and put back before `end()`, which writes the central directory
 * from the full list. This relies on yazl 3's `entries`, `doFileDataPump` and written state (3),
 * pinned in package.json; if they are not as expected it stops (`active` false) and the feeder
 * streams every further entry: slower, one core, but still flat in memory.
 */
class EntryTrimmer {
  private readonly parked: { state?: unknown }[][] = [];
  private parkedCount = 0;
  private enabled: boolean;

  constructor(private readonly zip: yazl.ZipFile) {
    this.enabled = Array.isArray((zip as unknown as YazlInternals).entries);
  }

  get active(): boolean {
    return this.enabled;
  }

  /** Called when entry `index` starts: every entry before it is written. */
  trimBefore(index: number): void {
    const entries = (this.zip as unknown as YazlInternals).entries;
    const count = index - this.parkedCount;
    if (!this.enabled || !entries || count === 0) return;
    const written = (e: { state?: unknown; doFileDataPump?: unknown }) => e.state === 3 && typeof e.doFileDataPump === 'function';
    if (count < 0 || count > entries.length || !entries.slice(0, count).every(written)) {
      this.restore();
      this.enabled = false;
      return;
    }
    const done = entries.splice(0, count);
    // yazl's pump closure of a written entry still holds its data (addBuffer keeps both the raw
    // and the deflated buffer); a written entry is never pumped again.
    for (const e of done) (e as { doFileDataPump?: unknown }).doFileDataPump = undefined;
    this.parked.push(done);
    this.parkedCount += count;
  }

  /** Puts every parked entry back, in order, and stops trimming: `end()` needs the full list. */
  restore(): void {
    this.enabled = false;
    const internals = this.zip as unknown as YazlInternals;
    if (this.parkedCount === 0 || !internals.entries) return;
    const all: { state?: unknown }[] = [];
    for (const group of this.parked) for (const e of group) all.push(e as { state?: unknown });
    for (const e of internals.entries) all.push(e);
    internals.entries = all;
    this.parked.length = 0;
    this.parkedCount = 0;
  }
}
