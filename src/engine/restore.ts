import type { MailboxConfig } from '../core/config-types.js';
import { describeError, InterruptedError } from '../core/errors.js';
import { fold, type ServerFolder } from '../core/folders.js';
import { emptyFolderReport, type FolderReport, type MailboxReport } from '../core/report.js';
import { imapNameOf, unescapeSegment } from '../core/restore-names.js';
import { safeSegment } from '../core/local-path.js';
import { folderSelected, targetFolder } from '../core/restore-plan.js';
import { ImapSource } from '../io/imap-source.js';
import { RestoreUsageError, type RestoreSource, type SourceFolder } from '../io/restore-types.js';
import { mailboxAdvice } from './advice.js';
import { ConnectionPool, withConnection } from './connection-pool.js';
import { restoreFolder, type RestoreEvent } from './restore-folder.js';
import { withRetries, type RetryPolicy } from './retry.js';

export type { RestoreEvent } from './restore-folder.js';

export interface RestoreJob {
  mailbox: MailboxConfig;
  source: RestoreSource;
  /** --folder values; empty: every folder of the backup. */
  folders: string[];
  /** --into: a folder below which everything is restored. */
  into?: string | undefined;
  dryRun: boolean;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  connections: number;
  signal: AbortSignal;
  onEvent: (e: RestoreEvent) => void;
}

interface Planned {
  source: SourceFolder;
  target: string;
  missing: boolean;
  report: FolderReport;
}

/** Which local folders the --folder values pick; none picked is the user's mistake, said before connecting. */
export function selectSourceFolders(source: RestoreSource, filters: string[]): SourceFolder[] {
  const matches = (f: SourceFolder, filter: string, exact: boolean) => folderSelected(imapNameOf(f.local, '/'), f.local.join('/'), [filter], exact);
  // `foo` is the folder `foo` where the backup has `Foo` and `foo` (spelled out): case decides only then.
  const exactly = new Set(filters.filter((c) => source.folders.some((g) => matches(g, c, true))));
  // `PROJECTs` where the backup has `Projects` and `projects`: which was meant? Not all of them, as
  // a backup's imapFolder of that kind is refused too (folders.ts). `X/*` asks for every variant.
  const ambiguous = filters.filter((c) => !c.endsWith('/*') && !exactly.has(c)).map((c) => ({ c, twins: source.folders.filter((f) => matches(f, c, false)) })).filter((a) => a.twins.length > 1);
  if (ambiguous.length > 0) {
    const said = ambiguous.map(({ c, twins }) => {
      const names = twins.map((t) => `"${imapNameOf(t.local, '/')}"`).sort();
      return `--folder ${c} matches ${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
    });
    throw new RestoreUsageError(`${said.join('; ')} in ${source.where}, which differ only in letter case: give the exact name of each one to restore, one --folder each`);
  }
  const picks = (f: SourceFolder, chosen: readonly string[]) => chosen.length === 0 || chosen.some((c) => matches(f, c, exactly.has(c)));
  // Each --folder must pick something: a misspelled one beside a good one would otherwise
  // restore less than asked, and say OK.
  const unmatched = filters.filter((filter) => !source.folders.some((f) => picks(f, [filter])));
  if (unmatched.length > 0) {
    const names = source.folders.map((f) => imapNameOf(f.local, '/')).join(', ');
    throw new RestoreUsageError(`--folder ${unmatched.join(', ')} matches no folder of ${source.where}; it has ${names || 'no messages'} (use X/* for a folder and all below it)`);
  }
  return source.folders.filter((f) => picks(f, filters));
}

/** Restores one mailbox's backup into `job.mailbox`; a failing folder does not stop the others. */
export async function restoreMailbox(job: RestoreJob): Promise<MailboxReport> {
  const started = Date.now();
  const mb = job.mailbox;
  const report: MailboxReport = { mailbox: mb.address, ok: true, folders: [], seconds: 0 };
  const chosen = selectSourceFolders(job.source, job.folders);
  const pool = new ConnectionPool(job.connections, () =>
    ImapSource.connect(mb, { socketTimeoutMs: job.timeoutMs, connectionTimeoutMs: Math.min(job.timeoutMs, 30_000) }));
  try {
    const listed = await withRetries(retriesFor(job, undefined), () => withConnection(pool, (s) => s.listFolders()));
    const planned = plan(chosen, listed, job.into, job.source.folders);
    report.folders = planned.map((p) => p.report);
    if (!job.dryRun) await createMissing(job, pool, planned);
    let next = 0;
    const worker = async () => {
      while (next < planned.length && !job.signal.aborted) {
        const p = planned[next++] as Planned;
        if (p.report.error === undefined) await runFolder(job, pool, p);
        job.onEvent({ type: 'folder-done', report: p.report });
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: Math.min(job.connections, planned.length) }, worker));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
    if (job.signal.aborted) throw new InterruptedError();
  } catch (err) {
    if (err instanceof InterruptedError) report.interrupted = true;
    else {
      report.ok = false;
      report.error = mailboxAdvice(mb, err);
    }
  } finally {
    await pool.closeAll();
    report.seconds = (Date.now() - started) / 1000;
  }
  return report;
}

function plan(chosen: SourceFolder[], listed: ServerFolder[], into: string | undefined, all: SourceFolder[]): Planned[] {
  // Names the backup holds in two letter cases (or spelled out to keep them apart): the server told
  // them apart, so each goes to the folder of exactly its name, never to its case variant.
  const count = new Map<string, number>();
  for (const key of all.map((f) => fold(imapNameOf(f.local, '/')))) count.set(key, (count.get(key) ?? 0) + 1);
  const caseMatters = (local: string[]) => (count.get(fold(imapNameOf(local, '/'))) ?? 0) > 1 || local.some((s) => safeSegment(unescapeSegment(s)) !== s);
  const delimiter = listed.find((f) => f.path.toUpperCase() === 'INBOX')?.delimiter ?? listed.find((f) => f.delimiter)?.delimiter ?? '/';
  return chosen.map((source) => {
    const name = imapNameOf(source.local, delimiter);
    const report = emptyFolderReport(name, source.local.join('/'));
    const bad = source.local.map(unescapeSegment).find((s) => s.includes(delimiter) || s === '');
    if (bad !== undefined) {
      report.error = `the folder name "${bad}" cannot be made on this server (its hierarchy separator is "${delimiter}"): rename the local folder ${source.local.join('/')} and restore it with --folder`;
      return { source, target: name, missing: false, report };
    }
    const t = targetFolder(name, into, delimiter, listed, caseMatters(source.local));
    report.folder = t.path;
    return { source, target: t.path, missing: !t.exists, report };
  });
}

/** Parents before children, one connection: two CREATEs of one parent at once could race. */
async function createMissing(job: RestoreJob, pool: ConnectionPool, planned: Planned[]): Promise<void> {
  const missing = planned.filter((p) => p.missing && p.report.error === undefined).sort((a, b) => (a.target < b.target ? -1 : 1));
  for (const p of missing) {
    try {
      await withRetries(retriesFor(job, p.target), () => withConnection(pool, (s) => s.createFolder(p.target)));
      p.missing = false;
    } catch (err) {
      // The server refusing this CREATE fails the folder; anything else (login, network) the mailbox.
      if (!['NO', 'BAD'].includes(String((err as { responseStatus?: unknown }).responseStatus))) throw err;
      p.report.error = `the folder ${p.target} cannot be created (${describeError(err)})`;
    }
  }
}

async function runFolder(job: RestoreJob, pool: ConnectionPool, p: Planned): Promise<void> {
  const started = Date.now();
  try {
    await withRetries(retriesFor(job, p.target), () => withConnection(pool, (s) => restoreFolder(s, { ...p, dryRun: job.dryRun, signal: job.signal, onEvent: job.onEvent }, p.report)));
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    p.report.error = describeError(err);
  } finally {
    p.report.seconds = (Date.now() - started) / 1000;
  }
}

function retriesFor(job: RestoreJob, folder: string | undefined): RetryPolicy {
  return {
    retries: job.retries,
    retryDelayMs: job.retryDelayMs,
    signal: job.signal,
    onRetry: (attempt, delayMs, err) => job.onEvent({ type: 'retry', folder, attempt, delayMs, reason: describeError(err) }),
  };
}
