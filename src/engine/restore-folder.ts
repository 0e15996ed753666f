import { describeError, InterruptedError } from '../core/errors.js';
import { parseHeaderFields } from '../core/headers.js';
import type { FolderReport } from '../core/report.js';
import { restoreDate } from '../core/restore-names.js';
import { TargetIndex } from '../core/restore-plan.js';
import type { ImapSource } from '../io/imap-source.js';
import type { SourceFolder } from '../io/restore-types.js';
import { isTransient } from './retry.js';

/** Progress of a restore; the CLI turns it into console and log lines. */
export type RestoreEvent =
  | { type: 'folder-plan'; local: string; target: string; toUpload: number; present: number; create: boolean }
  | { type: 'message-uploaded'; target: string; fileName: string; bytes: number }
  | { type: 'progress'; target: string; done: number; total: number }
  | { type: 'folder-done'; report: FolderReport }
  | { type: 'retry'; folder?: string | undefined; attempt: number; delayMs: number; reason: string }
  | { type: 'warning'; folder?: string | undefined; message: string };

const PROGRESS_EVERY = 1000;

export interface FolderRestore {
  source: SourceFolder;
  target: string;
  /** The target folder does not exist yet (with --dry-run it is not created). */
  missing: boolean;
  dryRun: boolean;
  signal: AbortSignal;
  onEvent: (e: RestoreEvent) => void;
}

/**
 * Uploads what the target folder lacks. Safe to call again after a dropped connection: the plan is
 * made afresh from the server's headers, so what an earlier try stored is skipped.
 */
export async function restoreFolder(conn: ImapSource, job: FolderRestore, report: FolderReport): Promise<void> {
  const index = new TargetIndex();
  if (!job.missing) {
    const status = await conn.open(job.target);
    // An unknown count is read as "maybe some": what is there must not be uploaded twice.
    if (status.messages !== 0) for await (const meta of conn.headers(0)) index.add(meta);
  }
  const plan = job.source.files.filter((f) => !index.take(f.name, f.size));
  // After a retry, what the earlier try uploaded is on the server now: count it once, as uploaded.
  report.present = Math.max(0, job.source.files.length - plan.length - report.newCount);
  report.failed = 0;
  job.onEvent({ type: 'folder-plan', local: report.local, target: job.target, toUpload: plan.length, present: report.present, create: job.missing });
  if (job.dryRun) {
    report.wouldDownload = plan.length;
    return;
  }
  let uploaded = 0;
  for (const file of plan) {
    if (job.signal.aborted) throw new InterruptedError();
    let raw: Buffer;
    try {
      raw = await file.read();
    } catch (err) {
      fail(job, report, file.name, `cannot be read (${describeError(err)})`);
      continue;
    }
    const date = restoreDate(headerDate(raw), file.name, file.mtime);
    try {
      await conn.append(job.target, raw, ['\\Seen'], date);
    } catch (err) {
      // A dropped connection retries the folder; a refusal of this one message does not.
      if (isTransient(err) || !conn.usable) throw err;
      fail(job, report, file.name, `was refused by the server (${describeError(err)})`);
      continue;
    }
    report.newCount++;
    report.bytes += raw.length;
    job.onEvent({ type: 'message-uploaded', target: job.target, fileName: file.name, bytes: raw.length });
    // A large folder takes minutes: a line now and then shows it moves.
    if (++uploaded % PROGRESS_EVERY === 0) job.onEvent({ type: 'progress', target: job.target, done: uploaded, total: plan.length });
  }
}

function fail(job: FolderRestore, report: FolderReport, name: string, why: string): void {
  report.failed++;
  job.onEvent({ type: 'warning', folder: job.target, message: `${name} ${why}` });
}

/** The Date field of a raw message, from its header block only. */
function headerDate(raw: Buffer): string | undefined {
  const ends = [raw.indexOf('\r\n\r\n'), raw.indexOf('\n\n')].filter((i) => i >= 0);
  const head = raw.subarray(0, ends.length ? Math.min(...ends) + 2 : Math.min(raw.length, 256 * 1024));
  return parseHeaderFields(head)['date'];
}
