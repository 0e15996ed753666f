/**
 * Archive names and the rolling plan: which of the tool's archives in the output folder to keep.
 * Pure, so every rule is a table test; the archive stage does the listing and the deleting.
 */
import type { RollingMethod } from './config-types.js';

export interface RetentionPolicy {
  method: RollingMethod;
  /** DAYS: keep archives of the last N days; 0 deletes nothing. */
  days: number;
  /** ITEMS: keep the newest N archives; 0 deletes nothing. */
  items: number;
}

/** A file in the output folder; `mtime` is only used when the name holds no real date. */
export interface ArchiveFile {
  name: string;
  mtime?: Date | undefined;
}

export interface RetentionPlan {
  keep: string[];
  remove: string[];
  /** Why each of the tool's archives is kept or removed, for --dry-run and the log. */
  reasons: Record<string, string>;
  /** Set when nothing may be deleted because the clock looks wrong: the admin's to fix. */
  halted?: string;
}

export interface ParsedArchiveName {
  /** Local time in the name; undefined when the digits are no real date (then mtime decides). */
  time: Date | undefined;
  /** The original tool's names carry microseconds; they order archives of the same second. */
  micros: number;
  /** Our collision suffix: `-2` for the second archive of one second; 1 without suffix. */
  seq: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Ours: backup-2024-05-01_020000.zip and backup-2024-05-01_020000-2.zip; the original's:
// backup-2024-05-01_020000123456.zip. Anything else (foreign files, .partial) is not ours.
const NAME = /^backup-(\d{4})-(\d\d)-(\d\d)_(\d\d)(\d\d)(\d\d)(?:(\d{6})|-([2-9]|[1-9]\d{1,5}))?\.zip$/;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * What to do with a `backup-….zip.partial` in the output folder. `own`: the `.partial` names this
 * process folder's runs created and never finished (archiving-note.ts). Pure.
 */
export function partialVerdict(name: string, mtime: Date | undefined, own: ReadonlySet<string>, now: Date, staleAfterMs: number): 'ours' | 'stale' | 'keep' {
  if (own.has(name)) return 'ours';
  if (mtime && now.getTime() - mtime.getTime() > staleAfterMs) return 'stale';
  return 'keep';
}

/** `backup-YYYY-MM-DD_HHMMSS.zip` in local time, like the original; `seq` > 1 adds `-seq`. */
export function archiveFileName(now: Date, seq = 1): string {
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}_${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `backup-${stamp}${seq > 1 ? `-${seq}` : ''}.zip`;
}

export function parseArchiveName(name: string): ParsedArchiveName | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(y, mo, 0).getDate();
  const real = mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && mi <= 59 && s <= 59;
  return {
    time: real ? new Date(y, mo - 1, d, h, mi, s) : undefined,
    micros: m[7] ? Number(m[7]) : 0,
    seq: m[8] ? Number(m[8]) : 1,
  };
}

function localTime(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

interface Candidate {
  name: string;
  time: Date;
  micros: number;
  seq: number;
}

/** Newest first; equal times fall back to microseconds, suffix, then name, so any listing order gives one plan. */
function newestFirst(a: Candidate, b: Candidate): number {
  return b.time.getTime() - a.time.getTime() || b.micros - a.micros || b.seq - a.seq || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

export function planRetention(files: ArchiveFile[], policy: RetentionPolicy, now: Date, justWritten?: string): RetentionPlan {
  const plan: RetentionPlan = { keep: [], remove: [], reasons: {} };
  const keep = (name: string, reason: string) => {
    plan.keep.push(name);
    plan.reasons[name] = reason;
  };
  const remove = (name: string, reason: string) => {
    plan.remove.push(name);
    plan.reasons[name] = reason;
  };
  const candidates: Candidate[] = [];
  for (const f of files) {
    const parsed = parseArchiveName(f.name);
    if (!parsed) continue;
    const time = parsed.time ?? (f.mtime && Number.isFinite(f.mtime.getTime()) ? f.mtime : undefined);
    if (f.name === justWritten) keep(f.name, 'written by this run');
    else if (!time) keep(f.name, 'no date in its name and no modification time: kept');
    else candidates.push({ name: f.name, time, micros: parsed.micros, seq: parsed.seq });
  }
  candidates.sort(newestFirst);
  const dated = (c: Candidate) => `${localTime(c.time)}${parseArchiveName(c.name)?.time ? '' : ' by modification time'}`;
  // An archive from more than a day ahead means this run's clock was set back (a reset CMOS
  // battery, a wrong time zone): ITEMS would keep those and delete the newest real backups, and
  // go on doing so night after night. A time zone's or DST's shift stays within the day.
  const ahead = candidates[0];
  const deletes = policy.method === 'DAYS' ? policy.days > 0 : policy.items > 0;
  if (deletes && ahead && ahead.time.getTime() - now.getTime() > DAY_MS) {
    plan.halted = `${ahead.name} is dated ${dated(ahead)}, after this run's time ${localTime(now)}: the computer's clock may be wrong; set it right, or move archives dated in the future away, and rolling resumes`;
    for (const c of candidates) keep(c.name, 'the clock looks wrong: nothing is deleted');
    return plan;
  }
  if (policy.method === 'DAYS') {
    const limit = policy.days;
    for (const c of candidates) {
      if (limit === 0) keep(c.name, 'deleteOlderBackupThanDays is 0: nothing is deleted');
      else if (now.getTime() - c.time.getTime() > limit * DAY_MS) remove(c.name, `older than ${limit} day${limit === 1 ? '' : 's'} (${dated(c)})`);
      else keep(c.name, `within ${limit} day${limit === 1 ? '' : 's'} (${dated(c)})`);
    }
  } else {
    // The archive just written is one of the N kept, so ITEMS always leaves exactly N.
    const limit = policy.items;
    const slots = Math.max(0, limit - (justWritten !== undefined && plan.reasons[justWritten] ? 1 : 0));
    candidates.forEach((c, i) => {
      if (limit === 0) keep(c.name, 'deleteBackupsItemsToKeep is 0: nothing is deleted');
      else if (i < slots) keep(c.name, `one of the newest ${limit} (${dated(c)})`);
      else remove(c.name, `not one of the newest ${limit} (${dated(c)})`);
    });
  }
  return plan;
}
