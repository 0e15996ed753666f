import fs from 'node:fs';
import path from 'node:path';
import { archiveFileName } from '../core/retention.js';
import { ownFilePath, type OwnFile, type OwnFiles } from './process-tree.js';
import { TASKS_PER_WORKER, ZipWorkers, type DeflateReply } from './zip-workers.js';
import { ZipWriter } from './zip-writer.js';
import { PARTIAL_SUFFIX } from './output-folder.js';

export interface Reservation {
  finalPath: string;
  partialPath: string;
}

export interface WrittenArchive {
  /** CRC-32 of each file as it was read, in the order of the `files` given. */
  crc32: Uint32Array;
  bytes: number;
  archiveBytes: number;
}

// DOS dates (local time) hold 1980-2107; the Unix timestamp (UT extra) stops at 2038, and readers
// prefer it, so later dates go as DOS time only.
const DOS_MIN = new Date(1980, 0, 1).getTime();
const DOS_MAX = new Date(2107, 11, 31, 23, 59, 58).getTime();
const UNIX32_MAX = 0x7fffffff * 1000;

export function zipTime(mtimeMs: number): { mtime: Date; dosTimeOnly: boolean } {
  const ms = Number.isFinite(mtimeMs) ? Math.min(Math.max(mtimeMs, DOS_MIN), DOS_MAX) : DOS_MIN;
  return { mtime: new Date(ms), dosTimeOnly: ms > UNIX32_MAX };
}

/**
 * Told each `.partial` name before it is created (claim: true if it was not noted yet) and, for a
 * name it noted, when it turns out not to be ours after all (release).
 */
export interface PartialNote {
  claim(name: string): Promise<boolean>;
  release(name: string): Promise<void>;
}

/**
 * Claims the next free `backup-…[-n].zip` by creating its `.partial` exclusively. Whoever makes an
 * archive holds its `.partial` until the rename, so two runs in the same second cannot both take a
 * name, and a leftover `.partial` only costs a suffix.
 */
export async function reserveArchive(outputFolder: string, now: Date, note?: PartialNote): Promise<Reservation> {
  await fs.promises.mkdir(outputFolder, { recursive: true, mode: 0o700 });
  for (let seq = 1; seq <= 999; seq++) {
    const finalPath = path.join(outputFolder, archiveFileName(now, seq));
    const partialPath = `${finalPath}${PARTIAL_SUFFIX}`;
    const name = path.basename(partialPath);
    const claimed = (await note?.claim(name)) ?? false;
    try {
      await (await fs.promises.open(partialPath, 'wx', 0o600)).close();
    } catch (err) {
      // Another run's: not ours to delete later (unless a dead run of this folder noted it).
      if (claimed) await note?.release(name);
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    if (!fs.existsSync(finalPath)) return { finalPath, partialPath };
    await fs.promises.rm(partialPath, { force: true });
    if (claimed) await note?.release(name);
  }
  throw new Error(`${outputFolder} already holds 999 archives named for this second: remove the leftover backup-*.zip.partial files there.`);
}

/** Files above this are compressed by a worker 1 MB at a time; smaller ones go to the workers in batches. */
export const STREAM_ABOVE = 4 * 1024 * 1024;
const BATCH_BYTES = 4 * 1024 * 1024;
/** A batch holds at most BATCH_BYTES, or one file of at most STREAM_ABOVE, and never grows when compressed. */
const SLOT_BYTES = Math.max(BATCH_BYTES, STREAM_ABOVE);
const BATCH_ENTRIES = 64;

/** A run of consecutive files compressed together, or one large file streamed. */
export interface Batch {
  first: number;
  count: number;
  stream: boolean;
}

/** Splits the files, in order, into worker batches and streamed large files. Pure. */
export function planBatches(sizes: number[], limits = { bytes: BATCH_BYTES, entries: BATCH_ENTRIES, streamAbove: STREAM_ABOVE }): Batch[] {
  const out: Batch[] = [];
  let open: Batch | undefined;
  let bytes = 0;
  sizes.forEach((size, i) => {
    if (size > limits.streamAbove) {
      out.push({ first: i, count: 1, stream: true });
      open = undefined;
      return;
    }
    if (!open || open.count >= limits.entries || bytes + size > limits.bytes) {
      open = { first: i, count: 0, stream: false };
      bytes = 0;
      out.push(open);
    }
    open.count++;
    bytes += size;
  });
  return out;
}

/**
 * Writes the ZIP to the reserved `.partial`, in the order of `files`: worker threads compress
 * batches of files a few batches ahead, the main thread writes each batch when its turn comes, so
 * both cores work and memory holds only the batches in flight. The file is flushed to disk before
 * this returns.
 */
export async function writeArchive(partialPath: string, processFolder: string, files: OwnFiles, opts: { compressionLevel: number; signal?: AbortSignal | undefined }): Promise<WrittenArchive> {
  const crc32 = new Uint32Array(files.length);
  const level = opts.compressionLevel;
  const signal = opts.signal;
  const pathOf = (f: OwnFile) => ownFilePath(processFolder, f.name);
  const meta = (f: OwnFile) => ({ name: f.name, ...zipTime(f.mtimeMs), mode: 0o100600 });
  const file = (i: number) => files.at(i) as OwnFile;
  const sizes: number[] = [];
  let bytes = 0;
  for (let i = 0; i < files.length; i++) bytes += sizes[i] = file(i).size;
  const plan = planBatches(sizes);
  const zip = await ZipWriter.open(partialPath);
  const workers = new ZipWorkers();
  // The workers compress into these and the archive is written from them: the same memory for
  // every batch (see zip-worker-source.ts for why that matters).
  const free: Uint8Array[] = Array.from({ length: workers.size * TASKS_PER_WORKER }, () => new Uint8Array(new SharedArrayBuffer(SLOT_BYTES)));
  const started = new Map<number, { batch: OwnFile[]; slot: Uint8Array; reply: Promise<DeflateReply> }>();
  const start = (k: number) => {
    const b = plan[k];
    if (!b || b.stream || started.has(k)) return;
    const slot = free.pop();
    if (!slot) return;
    const batch = Array.from({ length: b.count }, (_, n) => file(b.first + n));
    const reply = workers.deflate(batch.map((f) => ({ path: pathOf(f), name: f.name, size: f.size })), level, slot);
    // Awaited in turn; a failure before that turn must not count as unhandled.
    reply.catch(() => undefined);
    started.set(k, { batch, slot, reply });
  };
  try {
    for (let k = 0; k < plan.length; k++) {
      for (let j = k; j < k + workers.size * TASKS_PER_WORKER; j++) start(j);
      const b = plan[k] as Batch;
      if (b.stream) {
        const f = file(b.first);
        throwIfAborted(signal);
        // A batch slot is free here: the batches in flight leave at least one.
        const slot = free.pop() ?? new Uint8Array(new SharedArrayBuffer(SLOT_BYTES));
        crc32[b.first] = await zip.addStream(meta(f), f.size, level > 0 ? 8 : 0, (write) =>
          workers.deflateLarge({ path: pathOf(f), name: f.name, size: f.size }, level, slot, async (piece) => {
            throwIfAborted(signal);
            await write(piece);
          }),
        );
        free.push(slot);
        continue;
      }
      const task = started.get(k);
      if (!task) throw new Error(`archive batch ${k} was never started`);
      const reply = await untilAborted(task.reply, signal);
      started.delete(k);
      let at = 0;
      await zip.addCompressed(reply.items.map((item, n) => {
        const f = task.batch[n] as OwnFile;
        crc32[b.first + n] = item.crc32;
        const data = task.slot.subarray(at, (at += item.compressedSize));
        return { meta: meta(f), method: item.method, crc32: item.crc32, size: f.size, data };
      }));
      free.push(task.slot);
    }
    const archiveBytes = await zip.finish();
    return { crc32, bytes, archiveBytes };
  } catch (err) {
    await zip.abandon();
    throw err;
  } finally {
    await workers.close();
  }
}

function interrupted(): Error {
  return Object.assign(new Error('Interrupted while writing the archive'), { name: 'AbortError' });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interrupted();
}

/** Waits for `p`, or throws as soon as the run is interrupted. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  throwIfAborted(signal);
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The rename makes the archive visible; syncing the folder makes the rename survive a power cut. */
export async function commitArchive(reservation: Reservation): Promise<void> {
  await fs.promises.rename(reservation.partialPath, reservation.finalPath);
  try {
    const dir = await fs.promises.open(path.dirname(reservation.finalPath), 'r');
    await dir.sync().finally(() => dir.close());
  } catch {
    // Windows cannot open a folder for syncing; NTFS journals the rename itself.
  }
}

export async function discardArchive(reservation: Reservation): Promise<void> {
  await fs.promises.rm(reservation.partialPath, { force: true }).catch(() => undefined);
}
