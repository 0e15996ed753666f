import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

/** Temporary files carry this prefix so a later run can recognise and remove leftovers. */
export const TEMP_PREFIX = '.ibt-';
export const TEMP_SUFFIX = '.tmp';

export function tempPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

/**
 * Write, then rename: a crash leaves a temp file, never a half-written file under its final name.
 * `sync` is for small files whose loss would mislead a later run (state, locks); message files are
 * not fsynced one by one (see README "Durability").
 */
export async function writeFileAtomic(finalPath: string, data: Buffer | string, opts: { mode?: number; sync?: boolean } = {}): Promise<void> {
  const tmp = tempPathFor(finalPath);
  try {
    const handle = await fs.promises.open(tmp, 'wx', opts.mode ?? 0o600);
    try {
      await handle.writeFile(data);
      if (opts.sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(tmp, finalPath);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

export async function streamToFileAtomic(finalPath: string, stream: Readable, opts: { mode?: number } = {}): Promise<number> {
  const tmp = tempPathFor(finalPath);
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(stream, fs.createWriteStream(tmp, { flags: 'wx', mode: opts.mode ?? 0o600 }));
    await fs.promises.rename(tmp, finalPath);
    return bytes;
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
