import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

/** Temporary files carry this prefix so a later run can recognise and remove leftovers. */
export const TEMP_PREFIX = '.ibt-';
export const TEMP_SUFFIX = '.tmp';

// Random once per process, then counted: random bytes for each of 100,000 files cost the main
// thread 1 s of a full backup (CPU profile). Files are created exclusively ('wx') all the same.
const RUN_TAG = randomBytes(6).toString('hex');
let written = 0;

export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `${TEMP_PREFIX}${RUN_TAG}-${(++written).toString(36)}${TEMP_SUFFIX}`);
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

/**
 * Write, flush, then rename: a crash or power loss leaves a temp file, never a short or empty file
 * under its final name, which a later run would take for a message already backed up. The flush
 * (fdatasync) is cheap when several writes are in flight (see README "Durability").
 */
// Callback fs calls on plain descriptors: no FileHandle object per file.
const open = promisify(fs.open);
const write = promisify(fs.write);
const fdatasync = promisify(fs.fdatasync);
const close = promisify(fs.close);
const rename = promisify(fs.rename);

export async function writeFileAtomic(finalPath: string, data: Buffer | string, opts: { mode?: number; sync?: boolean } = {}): Promise<void> {
  const tmp = tempPathFor(finalPath);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let created = false;
  try {
    // Plain descriptors, not FileHandles: half the main thread's CPU per file (10,000 files of
    // 31 KB: 0.30 s instead of 0.58-0.66 s), which a full backup pays once per message.
    const fd = await open(tmp, 'wx', opts.mode ?? 0o600);
    created = true;
    let failed = true;
    try {
      for (let at = 0; at < bytes.length; ) {
        const { bytesWritten: n } = await write(fd, bytes, at, bytes.length - at, null);
        if (n === 0) throw Object.assign(new Error('the disk accepted no more data'), { code: 'ENOSPC', path: tmp });
        at += n;
      }
      if (opts.sync !== false) await fdatasync(fd);
      failed = false;
    } finally {
      // After a failed write the write's error is the one to report, not the close's.
      await close(fd).catch((err: unknown) => {
        if (!failed) throw err;
      });
    }
    await rename(tmp, finalPath);
  } catch (err) {
    // A temp name that was taken ('wx' refused it) belongs to someone else: leave it.
    if (created) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export async function streamToFileAtomic(finalPath: string, stream: Readable, opts: { mode?: number } = {}): Promise<number> {
  const tmp = tempPathFor(finalPath);
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  let created = false;
  try {
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: opts.mode ?? 0o600 }).once('open', () => (created = true));
    await pipeline(stream, out);
    // fsync through a second descriptor: a write stream closes its own when it finishes.
    const handle = await fs.promises.open(tmp, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, finalPath);
    return bytes;
  } catch (err) {
    if (created) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
