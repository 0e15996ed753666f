import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LockHeldError } from '../../src/core/errors.js';
import { localTime } from '../../src/core/local-time.js';
import { acquireLock, describeHolder, inspectLock, lockPath } from '../../src/io/lock.js';

const HOUR = 3_600_000;
const DEAD_PID = 2 ** 22 + 17; // above Linux's pid_max: never a running process
const folder = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-lock-'));
const plant = (dir: string, content: string, ageMs = 0) => {
  const file = lockPath(dir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  const t = new Date(Date.now() - ageMs);
  fs.utimesSync(file, t, t);
  return file;
};
const info = (pid: number, ageMs = 0) => JSON.stringify({ host: os.hostname(), pid, since: new Date(Date.now() - ageMs).toISOString() });
const heldError = (fn: () => unknown): LockHeldError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LockHeldError);
    return err as LockHeldError;
  }
  throw new Error('expected the lock to be held');
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the run lock', () => {
  it('is created readable only by the user, and removed on release', () => {
    const dir = folder();
    const lock = acquireLock(dir, { staleAfterMs: 12 * HOUR });
    if (process.platform !== 'win32') {
      expect(fs.statSync(lock.path).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(lock.path)).mode & 0o777).toBe(0o700);
    }
    expect(JSON.parse(fs.readFileSync(lock.path, 'utf8'))).toMatchObject({ host: os.hostname(), pid: process.pid });
    lock.release();
    expect(fs.existsSync(lock.path)).toBe(false);
  });

  it('held by a live process: refused with host, pid and since', () => {
    const dir = folder();
    plant(dir, info(process.ppid));
    const err = heldError(() => acquireLock(dir, { staleAfterMs: 12 * HOUR }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`host ${os.hostname()}, pid ${process.ppid}, since `);
    expect(err.message).toContain('imap-backup-tool unlock');
  });

  // Found in review: "since 2026-11-28T02:00:03.123Z" (UTC) was shown to an admin whose clock is local.
  it('messages show since in local time; the file keeps UTC ISO, which other versions read', () => {
    const TZ = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const dir = folder();
      const since = new Date(Date.now() - 60_000).toISOString();
      const shown = localTime(since);
      expect(shown).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(local time, UTC\+05:30\)$/);
      expect(shown.slice(0, 19)).not.toBe(since.slice(0, 19).replace('T', ' '));
      plant(dir, JSON.stringify({ host: os.hostname(), pid: process.ppid, since }));
      const err = heldError(() => acquireLock(dir, { staleAfterMs: 12 * HOUR }));
      expect(err.message).toContain(`(host ${os.hostname()}, pid ${process.ppid}, since ${shown})`);
      expect(err.message).not.toContain(since);
      plant(dir, JSON.stringify({ host: os.hostname(), pid: DEAD_PID, since }));
      const warnings: string[] = [];
      const lock = acquireLock(dir, { staleAfterMs: 12 * HOUR, onStale: (w) => warnings.push(w) });
      expect(warnings).toEqual([`host ${os.hostname()}, pid ${DEAD_PID}, since ${shown}`]);
      expect(JSON.parse(fs.readFileSync(lock.path, 'utf8')).since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      lock.release();
      expect(describeHolder({ host: 'nas', pid: 7, since: '2026-11-28T02:00:03.123Z' })).toBe('host nas, pid 7, since 2026-11-28 07:30:03 (local time, UTC+05:30)');
    } finally {
      if (TZ === undefined) delete process.env.TZ;
      else process.env.TZ = TZ;
    }
  });

  it('a dead process, or an age beyond staleAfterMs, makes it stale: taken over with a warning', () => {
    const dir = folder();
    const warnings: string[] = [];
    plant(dir, info(DEAD_PID));
    acquireLock(dir, { staleAfterMs: 12 * HOUR, onStale: (w) => warnings.push(w) }).release();
    // A live process, but its lock is older than the configured age.
    plant(dir, info(process.ppid, 2 * HOUR));
    heldError(() => acquireLock(dir, { staleAfterMs: 3 * HOUR }));
    acquireLock(dir, { staleAfterMs: 1 * HOUR, onStale: (w) => warnings.push(w) }).release();
    expect(warnings).toEqual([expect.stringContaining(`pid ${DEAD_PID}`), expect.stringContaining(`pid ${process.ppid}`)]);
  });

  it('an unreadable lock younger than 10 s is being written by a starting run: held, not stale', () => {
    const dir = folder();
    for (const content of ['', '{"host":"x","pi']) {
      const file = plant(dir, content, 2_000);
      const err = heldError(() => acquireLock(dir, { staleAfterMs: 12 * HOUR }));
      expect(err.message).toContain('right now');
      expect(fs.readFileSync(file, 'utf8')).toBe(content);
      // The same file a minute later was left by a run killed while writing it.
      plant(dir, content, 60_000);
      const warnings: string[] = [];
      acquireLock(dir, { staleAfterMs: 12 * HOUR, onStale: (w) => warnings.push(w) }).release();
      expect(warnings).toEqual(['unreadable']);
    }
  });

  it('two runs taking over the same stale lock: the second gives way instead of removing the winner’s lock', () => {
    const dir = folder();
    const file = plant(dir, info(DEAD_PID));
    const winner = info(process.ppid);
    const rename = fs.renameSync;
    // The other run judged the same stale lock, and replaced it just before this one moves it aside.
    vi.spyOn(fs, 'renameSync').mockImplementationOnce((from, to) => {
      fs.rmSync(file);
      fs.writeFileSync(file, winner);
      rename(from, to);
    });
    const err = heldError(() => acquireLock(dir, { staleAfterMs: 12 * HOUR }));
    expect(err.message).toContain('at the same moment');
    expect(fs.readFileSync(file, 'utf8')).toBe(winner);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['lock']);
  });

  it('the copy a takeover killed halfway left behind is removed by the next holder', () => {
    const dir = folder();
    const file = plant(dir, info(DEAD_PID));
    const aside = `${file}.${DEAD_PID}.stale`;
    fs.writeFileSync(aside, info(DEAD_PID));
    fs.utimesSync(aside, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    acquireLock(dir, { staleAfterMs: 12 * HOUR }).release();
    expect(fs.readdirSync(path.dirname(file))).toEqual([]);
  });

  it('a run killed while taking the lock leaves no lock the next run must wait for', () => {
    const dir = folder();
    // The kill: the write never happens, and nothing is tidied after it.
    vi.spyOn(fs, 'writeSync').mockImplementationOnce(() => {
      throw Object.assign(new Error('killed'), { code: 'EKILLED' });
    });
    vi.spyOn(fs, 'rmSync').mockImplementation(() => undefined);
    expect(() => acquireLock(dir, { staleAfterMs: 12 * HOUR })).toThrow('killed');
    vi.restoreAllMocks();
    // The next run, right after: no lock at all, only the killed run's fresh copy, which it tidies once old.
    expect(fs.existsSync(lockPath(dir))).toBe(false);
    const next = acquireLock(dir, { staleAfterMs: 12 * HOUR });
    expect(JSON.parse(fs.readFileSync(next.path, 'utf8'))).toMatchObject({ pid: process.pid });
    next.release();
    const left = fs.readdirSync(path.dirname(lockPath(dir)));
    expect(left).toEqual([]);
    const fresh = `${lockPath(dir)}.${DEAD_PID}.new`;
    fs.writeFileSync(fresh, '');
    fs.utimesSync(fresh, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    acquireLock(dir, { staleAfterMs: 12 * HOUR }).release();
    expect(fs.readdirSync(path.dirname(lockPath(dir)))).toEqual([]);
  });

  it('without hard links (FAT32, exFAT) the lock is created and written in place, the same lock', () => {
    const dir = folder();
    // EPERM on Linux; Windows reports FAT32's refusal as EISDIR (libuv's mapping of ERROR_INVALID_FUNCTION).
    const refusal = { code: 'EPERM' };
    vi.spyOn(fs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('no hard links'), refusal);
    });
    const other = folder();
    refusal.code = 'EISDIR';
    acquireLock(other, { staleAfterMs: 12 * HOUR }).release();
    refusal.code = 'EPERM';
    const lock = acquireLock(dir, { staleAfterMs: 12 * HOUR });
    expect(JSON.parse(fs.readFileSync(lock.path, 'utf8'))).toMatchObject({ host: os.hostname(), pid: process.pid });
    expect(fs.readdirSync(path.dirname(lock.path))).toEqual(['lock']);
    expect(() => acquireLock(dir, { staleAfterMs: 12 * HOUR })).toThrow(LockHeldError);
    lock.release();
    expect(fs.existsSync(lock.path)).toBe(false);
  });

  it('inspectLock tells unlock who holds it and whether that process still runs here', () => {
    const dir = folder();
    expect(inspectLock(dir).exists).toBe(false);
    plant(dir, info(DEAD_PID));
    expect(inspectLock(dir)).toMatchObject({ exists: true, alive: false, info: { pid: DEAD_PID } });
    plant(dir, info(process.ppid));
    expect(inspectLock(dir)).toMatchObject({ exists: true, alive: true });
    plant(dir, JSON.stringify({ host: 'elsewhere', pid: 1, since: new Date().toISOString() }));
    expect(inspectLock(dir).alive).toBeUndefined();
  });
});
