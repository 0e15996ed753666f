import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { archiveFileName } from '../core/retention.js';
import { ownFilePath, type OwnFile } from './process-tree.js';
import { feedZip } from './zip-feed.js';

/** Until verified, an archive carries this suffix: rolling and restoring never take it for a backup. */
export const PARTIAL_SUFFIX = '.partial';

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

// DOS dates (local time) hold 1980-2107; the Unix timestamp yazl adds stops at 2038, and readers
// prefer it, so later dates go as DOS time only.
const DOS_MIN = new Date(1980, 0, 1).getTime();
const DOS_MAX = new Date(2107, 11, 31, 23, 59, 58).getTime();
const UNIX32_MAX = 0x7fffffff * 1000;

export function zipTime(mtimeMs: number): { mtime: Date; forceDosTimestamp: boolean } {
  const ms = Number.isFinite(mtimeMs) ? Math.min(Math.max(mtimeMs, DOS_MIN), DOS_MAX) : DOS_MIN;
  return { mtime: new Date(ms), forceDosTimestamp: ms > UNIX32_MAX };
}

/**
 * Claims the next free `backup-…[-n].zip` by creating its `.partial` exclusively. Whoever makes an
 * archive holds its `.partial` until the rename, so two runs in the same second cannot both take a
 * name, and a leftover `.partial` only costs a suffix.
 */
export async function reserveArchive(outputFolder: string, now: Date): Promise<Reservation> {
  await fs.promises.mkdir(outputFolder, { recursive: true, mode: 0o700 });
  for (let seq = 1; seq <= 999; seq++) {
    const finalPath = path.join(outputFolder, archiveFileName(now, seq));
    const partialPath = `${finalPath}${PARTIAL_SUFFIX}`;
    try {
      await (await fs.promises.open(partialPath, 'wx', 0o600)).close();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    if (!fs.existsSync(finalPath)) return { finalPath, partialPath };
    await fs.promises.rm(partialPath, { force: true });
  }
  throw new Error(`${outputFolder} already holds 999 archives named for this second: remove the leftover backup-*.zip.partial files there.`);
}

/**
 * Writes the ZIP to the reserved `.partial` (see zip-feed.ts for how files go in). The output
 * pipe carries backpressure to the file; yazl adds ZIP64 records wherever sizes, offsets or the
 * entry count need them, and always sets the UTF-8 name flag.
 */
export async function writeArchive(partialPath: string, processFolder: string, files: OwnFile[], opts: { compressionLevel: number; signal?: AbortSignal | undefined }): Promise<WrittenArchive> {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  let failure: Error | undefined;
  let signalFailure!: () => void;
  const failed = new Promise<void>((resolve) => (signalFailure = resolve));
  const fail = (err: Error) => {
    if (failure) return;
    failure = err;
    signalFailure();
    output.destroy(err);
  };
  const onAbort = () => fail(Object.assign(new Error('Interrupted while writing the archive'), { name: 'AbortError' }));
  zip.on('error', fail);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const written = pipeline(output, fs.createWriteStream(partialPath, { flags: 'w', flush: true }));
  // A write error (a full disk) must also stop the feeder, which may be waiting for yazl.
  written.catch((err: Error) => fail(err));
  try {
    const crc32 = await feedZip(zip, files, {
      compressionLevel: opts.compressionLevel,
      pathOf: (f) => ownFilePath(processFolder, f.name),
      entryOptions: (f) => ({ ...zipTime(f.mtimeMs), mode: 0o100600 }),
      failed: () => failure,
      failure: failed,
      onError: fail,
      pendingOutput: () => output.readableLength,
    }).catch((err: Error) => {
      fail(err);
      return undefined;
    });
    await Promise.race([written, failed]);
    if (failure || !crc32) throw failure ?? new Error('archive failed');
    const bytes = files.reduce((n, f) => n + f.size, 0);
    return { crc32, bytes, archiveBytes: (await fs.promises.stat(partialPath)).size };
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
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
