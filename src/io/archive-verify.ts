import yauzl from 'yauzl';
import { nextEntry, openZip } from './block-reader.js';
import { droppedBuffer } from './memory.js';
import { TASKS_PER_WORKER, ZipWorkers, type CheckEntry } from './zip-workers.js';

/** What the writer put in: each entry must be in the archive once, with this size and CRC. */
export interface ExpectedEntry {
  name: string;
  size: number;
  crc32: number;
}

/** An array, or columns read an entry at a time. */
export interface ExpectedEntries {
  readonly length: number;
  at(i: number): ExpectedEntry | undefined;
}

export interface VerifyOptions {
  expected?: ExpectedEntries;
  /** Inflate every entry and check its CRC, not only the central directory's records. */
  fullRead: boolean;
  signal?: AbortSignal | undefined;
}

export interface VerifyResult {
  entries: number;
  /** Sum of the entries' uncompressed sizes. */
  bytes: number;
  archiveBytes: number;
  /** Empty when the archive is good. */
  problems: string[];
}

const MAX_PROBLEMS = 20;
const BATCH_ENTRIES = 64;
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Reads the archive back as a restore would: its central directory (yauzl follows the ZIP64
 * records), and with `fullRead` every entry's data through inflate and CRC-32. Names are read as
 * raw UTF-8 (the writer always sets the UTF-8 flag), so no reader-side renaming hides a mismatch.
 */
export async function verifyArchive(zipPath: string, opts: VerifyOptions): Promise<VerifyResult> {
  const result: VerifyResult = { entries: 0, bytes: 0, archiveBytes: 0, problems: [] };
  let total = 0;
  const problem = (text: string) => {
    if (++total <= MAX_PROBLEMS) result.problems.push(text);
  };
  const wanted: ExpectedEntries = opts.expected ?? [];
  // The writer puts the central directory in the order entries were added, so entry k is expected[k];
  // a name index (memory: some 100 bytes an entry) is built only if that ever does not hold.
  let index: Map<string, number> | undefined;
  const nameIndex = () => new Map(Array.from({ length: wanted.length }, (_, i) => [wanted.at(i)?.name ?? '', i]));
  /** The expected entry of this name, and its index: entry k read once when the order holds. */
  const find = (name: string, k: number): [number, ExpectedEntry | undefined] | undefined => {
    const inOrder = k < wanted.length ? wanted.at(k) : undefined;
    if (inOrder?.name === name) return [k, inOrder];
    const i = (index ??= nameIndex()).get(name);
    return i === undefined ? undefined : [i, wanted.at(i)];
  };
  const seen = new Uint8Array(wanted.length);
  const workers = opts.fullRead ? new ZipWorkers() : undefined;
  const inFlight = (workers?.size ?? 1) * TASKS_PER_WORKER;
  const reading = new Set<Promise<void>>();
  // Several checks in flight, so every worker has one queued behind the one it is on.
  const track = async (check: Promise<void>) => {
    const tracked = check.finally(() => reading.delete(tracked));
    reading.add(tracked);
    if (reading.size >= inFlight) await Promise.race(reading);
  };
  let batch: { entries: CheckEntry[]; names: string[]; bytes: number } | undefined;
  const sendBatch = async () => {
    const b = batch;
    batch = undefined;
    if (!b || !workers) return;
    try {
      const { problems } = await workers.check(zipPath, b.entries);
      for (const [i, message] of problems) problem(`${b.names[i] ?? '?'}: ${message}`);
    } catch (err) {
      problem(`${zipPath}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await openZip(zipPath);
    result.archiveBytes = zip.fileSize;
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      if (opts.signal?.aborted) throw new Error('Interrupted while verifying the archive');
      const name = (entry.fileName as unknown as Buffer).toString('utf8');
      // yauzl reads each record into Buffers of its own: at 100,000 entries, 18 MB of them die here.
      droppedBuffer(46 + entry.fileNameLength + entry.extraFieldLength + entry.fileCommentLength);
      result.entries++;
      result.bytes += entry.uncompressedSize;
      if (opts.expected) {
        const [i, want] = find(name, result.entries - 1) ?? [];
        if (i === undefined || !want) problem(`${name}: in the archive but not written by this run`);
        else if (seen[i]) problem(`${name}: in the archive twice`);
        else if (entry.uncompressedSize !== want.size) problem(`${name}: ${entry.uncompressedSize} bytes recorded, ${want.size} written`);
        else if (entry.crc32 !== want.crc32) problem(`${name}: recorded CRC ${hex(entry.crc32)} differs from the file's ${hex(want.crc32)}`);
        if (i !== undefined) seen[i] = 1;
      }
      if (opts.fullRead && !name.endsWith('/')) {
        const unreadable = entry.isEncrypted() ? 'encrypted, its data cannot be checked' : entry.compressionMethod !== 0 && entry.compressionMethod !== 8 ? `compression method ${entry.compressionMethod}, which this tool does not write, cannot be checked` : undefined;
        if (unreadable) problem(`${name}: ${unreadable}`);
        else {
          (batch ??= { entries: [], names: [], bytes: 0 }).entries.push({ index: batch.names.length, offset: entry.relativeOffsetOfLocalHeader, compressedSize: entry.compressedSize, size: entry.uncompressedSize, method: entry.compressionMethod as 0 | 8, crc32: entry.crc32 });
          batch.names.push(name);
          batch.bytes += entry.compressedSize;
          if (batch.entries.length >= BATCH_ENTRIES || batch.bytes >= BATCH_BYTES) await track(sendBatch());
        }
      }
    }
    await track(sendBatch());
    await Promise.all(reading);
    for (let i = 0; i < wanted.length; i++) if (!seen[i]) problem(`${wanted.at(i)?.name ?? `entry ${i + 1}`}: written but missing from the archive`);
  } catch (err) {
    problem(`${zipPath}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    zip?.close();
    await workers?.close();
  }
  if (total > MAX_PROBLEMS) result.problems.push(`… and ${total - MAX_PROBLEMS} more problems`);
  return result;
}

const hex = (n: number) => n.toString(16).padStart(8, '0');
