import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockHeldError } from '../core/errors.js';
import { powershellNote } from '../core/init-command.js';
import { localTime } from '../core/local-time.js';
import { STATE_DIR } from './state-store.js';

export interface LockInfo {
  host: string;
  pid: number;
  since: string;
}

/** Who holds a lock, for messages: `since` in the admin's local time, the file keeps UTC. */
export function describeHolder(info: LockInfo): string {
  return `host ${info.host}, pid ${info.pid}, since ${localTime(info.since)}`;
}

export interface Lock {
  path: string;
  release(): void;
}

/**
 * A lock file that cannot be parsed yet is this young when a run is writing it right now (between
 * creating and writing it); only an older unreadable one is left over from a killed run.
 */
export const WRITING_GRACE_MS = 10_000;

export function lockPath(processFolder: string): string {
  return path.join(processFolder, STATE_DIR, 'lock');
}

/**
 * One run per process folder: overlapping scheduled runs would write the same files. A lock whose
 * process is gone (same host) or that is older than `staleAfterMs` is taken over with a warning.
 */
/** `unlock`: the command that removes the lock, as the admin types it (the CLI knows the program and the configuration). */
export function acquireLock(processFolder: string, opts: { staleAfterMs: number; onStale?: (info: string) => void; unlock?: string }): Lock {
  const unlock = opts.unlock ?? 'imap-backup-tool unlock';
  const file = lockPath(processFolder);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const mine: LockInfo = { host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(file, mine)) {
      removeOldAsides(path.dirname(file));
      return { path: file, release: () => releaseIfMine(file, mine) };
    }
    const text = readText(file);
    if (text === undefined) continue; // released meanwhile: try again
    const held = parseLock(text);
    if (!held && ageMs(file) < WRITING_GRACE_MS) {
      throw new LockHeldError(`Another run is taking the lock ${file} right now. Wait for it to finish; if no run is active, remove it with: ${unlock}${powershellNote(unlock)}`);
    }
    if (held && !isStale(held, opts.staleAfterMs)) {
      throw new LockHeldError(`Another run holds the lock ${file} (${describeHolder(held)}). Wait for it to finish; if no run is active, remove it with: ${unlock}${powershellNote(unlock)}`);
    }
    if (!takeOver(file, text)) {
      throw new LockHeldError(`Another run took over the stale lock ${file} at the same moment; it is running now.`);
    }
    opts.onStale?.(held ? describeHolder(held) : 'unreadable');
  }
  throw new LockHeldError(`Could not take the lock ${file}: another run took it at the same moment.`);
}

/** The lock as it is now, for `unlock`: who holds it, and whether that process still runs here. */
export function inspectLock(processFolder: string): { path: string; exists: boolean; info?: LockInfo; alive?: boolean } {
  const file = lockPath(processFolder);
  const text = readText(file);
  if (text === undefined) return { path: file, exists: false };
  const info = parseLock(text);
  return { path: file, exists: true, info, alive: info ? isAliveHere(info) : undefined };
}

export function removeLock(processFolder: string): boolean {
  const file = lockPath(processFolder);
  const existed = fs.existsSync(file);
  fs.rmSync(file, { force: true });
  return existed;
}

/**
 * Exclusive create of a lock that is whole from its first moment: written and flushed under a name
 * of this process's own, then linked to the lock's name, which fails if that exists. A run killed
 * while taking the lock so never leaves an empty lock behind, which the next run would have to take
 * for one being written and refuse for 10 s (seen once in the kill test). Where the file system has
 * no hard links (FAT32 and exFAT, as on a USB stick), the lock is created and then written.
 * A lock that cannot be written completely (disk full) is not left behind.
 */
function create(file: string, mine: LockInfo): boolean {
  const text = JSON.stringify(mine);
  const fresh = `${file}.${process.pid}.new`;
  try {
    writeWhole(fresh, 'w', text);
    try {
      fs.linkSync(fresh, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      // Any other refusal means no hard links here (EPERM on Linux; libuv reports FAT32 on
      // Windows as EISDIR): taken the other way below, which fails plainly if the folder does.
    }
  } finally {
    fs.rmSync(fresh, { force: true });
  }
  try {
    writeWhole(file, 'wx', text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  return true;
}

/** Creates file (flag 'w' or 'wx'), writes and flushes text; on a failure after creating it, removes it. */
function writeWhole(file: string, flag: 'w' | 'wx', text: string): void {
  const fd = fs.openSync(file, flag, 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw err;
  }
  fs.closeSync(fd);
}

/**
 * Two runs may find the same stale lock. Each moves it aside first; only the one that moved the
 * lock it judged removes it. The other moved the winner's fresh lock, puts it back, and gives way.
 */
function takeOver(file: string, judged: string): boolean {
  const aside = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (readText(aside) === judged) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, file);
  } catch {
    // A third run took the free name meanwhile: it holds the lock now.
  }
  fs.rmSync(aside, { force: true });
  return false;
}

/**
 * A takeover killed between moving a stale lock aside and removing it leaves the copy, and a run
 * killed while taking the lock its fresh one; the new holder tidies.
 */
function removeOldAsides(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const aside = path.join(dir, name);
    if (/^lock\.\d+\.(stale|new)$/.test(name) && ageMs(aside) > WRITING_GRACE_MS) fs.rmSync(aside, { force: true });
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Unreadable (permissions): judged like a lock whose content cannot be parsed.
    return '';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.host === 'string' && typeof v.pid === 'number' && typeof v.since === 'string') return v as LockInfo;
  } catch {
    // Half-written: by a run starting right now, or by one killed while taking it.
  }
  return undefined;
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

function isStale(info: LockInfo, staleAfterMs: number): boolean {
  const age = Date.now() - Date.parse(info.since);
  if (!Number.isFinite(age) || age > staleAfterMs) return true;
  if (info.host !== os.hostname()) return false;
  return isAliveHere(info) === false;
}

/** undefined: held on another host, where its process cannot be checked. */
function isAliveHere(info: LockInfo): boolean | undefined {
  if (info.host !== os.hostname()) return undefined;
  if (info.pid === process.pid) return true;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function releaseIfMine(file: string, mine: LockInfo): void {
  const held = parseLock(readText(file) ?? '');
  if (held && held.pid === mine.pid && held.since === mine.since) fs.rmSync(file, { force: true });
}
