import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockHeldError } from '../core/errors.js';
import { STATE_DIR } from './state-store.js';

interface LockInfo {
  host: string;
  pid: number;
  since: string;
}

export interface Lock {
  path: string;
  release(): void;
}

export function lockPath(processFolder: string): string {
  return path.join(processFolder, STATE_DIR, 'lock');
}

/**
 * One run per process folder: overlapping scheduled runs would write the same files. A lock whose
 * process is gone (same host) or that is older than `staleAfterMs` is taken over with a warning.
 */
export function acquireLock(processFolder: string, opts: { staleAfterMs: number; onStale?: (info: string) => void }): Lock {
  const file = lockPath(processFolder);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const mine: LockInfo = { host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify(mine));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      return { path: file, release: () => releaseIfMine(file, mine) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = readLock(file);
    const stale = held === undefined || isStale(held, opts.staleAfterMs);
    if (!stale) {
      throw new LockHeldError(`Another run holds the lock ${file} (host ${held.host}, pid ${held.pid}, since ${held.since}). Wait for it to finish; if no run is active, remove it with "imap-backup-tool unlock".`);
    }
    opts.onStale?.(held ? `host ${held.host}, pid ${held.pid}, since ${held.since}` : 'unreadable');
    fs.rmSync(file, { force: true });
  }
  throw new LockHeldError(`Could not take the lock ${file}: another run took it at the same moment.`);
}

export function removeLock(processFolder: string): boolean {
  const file = lockPath(processFolder);
  const existed = fs.existsSync(file);
  fs.rmSync(file, { force: true });
  return existed;
}

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.host === 'string' && typeof v.pid === 'number' && typeof v.since === 'string') return v as LockInfo;
  } catch {
    // Half-written by a run killed while taking it: stale.
  }
  return undefined;
}

function isStale(info: LockInfo, staleAfterMs: number): boolean {
  const age = Date.now() - Date.parse(info.since);
  if (!Number.isFinite(age) || age > staleAfterMs) return true;
  if (info.host !== os.hostname()) return false;
  if (info.pid === process.pid) return false;
  try {
    process.kill(info.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function releaseIfMine(file: string, mine: LockInfo): void {
  const held = readLock(file);
  if (held && held.pid === mine.pid && held.since === mine.since) fs.rmSync(file, { force: true });
}
