import path from 'node:path';
import type { MailboxConfig } from '../core/config-types.js';
import { describeError, InterruptedError } from '../core/errors.js';
import { resolveFolders, type ResolvedFolder } from '../core/folders.js';
import { safeSegment } from '../core/local-path.js';
import { emptyFolderReport, type FolderReport, type MailboxReport } from '../core/report.js';
import { ImapSource, type ListedFolder } from '../io/imap-source.js';
import { expectItems } from '../io/memory.js';
import { StateStore } from '../io/state-store.js';
import { ConnectionPool, withConnection } from './connection-pool.js';
import type { EventSink } from './events.js';
import { syncFolder } from './folder-sync.js';
import { ReadAhead } from './read-ahead.js';
import type { FolderStore } from '../io/folder-store.js';
import { diskFullAdvice, mailboxAdvice } from './advice.js';
import { withRetries, type RetryPolicy } from './retry.js';

export interface MailboxJob {
  mailbox: MailboxConfig;
  processFolder: string;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  /** Connections to this mailbox at once: folders in parallel, and UID ranges of a large folder. */
  connections: number;
  dryRun: boolean;
  signal: AbortSignal;
  onEvent: EventSink;
  partSize?: number;
}

/** One mailbox: connect, resolve folders, back each up; a failing folder does not stop the rest. */
export async function syncMailbox(job: MailboxJob): Promise<MailboxReport> {
  const started = Date.now();
  const mb = job.mailbox;
  const report: MailboxReport = { mailbox: mb.address, ok: true, folders: [], seconds: 0 };
  const state = StateStore.forMailbox(job.processFolder, mb.address);
  const pool = new ConnectionPool(job.connections, () =>
    ImapSource.connect(mb, { socketTimeoutMs: job.timeoutMs, connectionTimeoutMs: Math.min(job.timeoutMs, 30_000) }));
  job.onEvent({ type: 'mailbox-start', mailbox: mb.address });
  try {
    await state.load();
    const readAhead = new ReadAhead(mailboxDir(job), state.keys(), job.dryRun);
    const listed = await withRetries(retriesFor(job, undefined), () => withConnection(pool, (s) => s.listFolders()));
    const { folders, problems } = resolveFolders(mb.folders, mb.excludeFolders, listed, state.folderHistory());
    readAhead.keepOnly(new Set(folders.map((f) => f.local.join('/'))));
    // Should this write fail, a folder's next mark, or the next run, writes these names again.
    if (!job.dryRun) await state.rememberMarked(folders).catch(() => undefined);
    job.onEvent({ type: 'folders-resolved', mailbox: mb.address, folders: folders.map((f) => ({ spec: f.spec, path: f.path, local: f.local.join('/') })) });
    for (const p of problems) {
      const missing = { ...emptyFolderReport(p.spec, ''), error: p.message };
      report.folders.push(missing);
      job.onEvent({ type: 'folder-done', mailbox: mb.address, report: missing });
    }
    const statusOf = new Map(listed.map((f) => [f.path, f.status]));
    expectItems(folders.reduce((n, f) => n + (statusOf.get(f.path)?.messages ?? 0), 0));
    const reports = folders.map((f) => emptyFolderReport(f.path, f.local.join('/')));
    report.folders.push(...reports);
    // Largest folders first, so the long one starts early and the small ones fill the gaps.
    const messages = (i: number) => statusOf.get(folders[i]?.path ?? '')?.messages ?? 0;
    const order = folders.map((f, i) => i).sort((a, b) => messages(b) - messages(a));
    let next = 0;
    const worker = async () => {
      while (next < order.length && !job.signal.aborted) {
        const i = order[next++] as number;
        const folder = folders[i] as ResolvedFolder;
        await backupFolder(job, pool, state, folder, statusOf.get(folder.path), reports[i] as FolderReport, readAhead.take(folder.local.join('/')));
      }
    };
    const outcomes = await Promise.allSettled(Array.from({ length: Math.min(job.connections, folders.length) }, worker));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
    if (job.signal.aborted) throw new InterruptedError();
  } catch (err) {
    if (err instanceof InterruptedError) {
      report.interrupted = true;
    } else {
      report.ok = false;
      report.error = mailboxAdvice(mb, err);
    }
  } finally {
    await pool.closeAll();
    report.seconds = (Date.now() - started) / 1000;
  }
  job.onEvent({ type: 'mailbox-done', report });
  return report;
}

async function backupFolder(job: MailboxJob, pool: ConnectionPool, state: StateStore, folder: ResolvedFolder, status: ListedFolder['status'], folderReport: FolderReport, scanned: Promise<FolderStore | undefined> | undefined): Promise<void> {
  try {
    await withRetries(retriesFor(job, folder.path), (attempt) => withLazyConnection(pool, (connect) => syncFolder(connect, {
      mailbox: job.mailbox.address, resolved: folder, dir: path.join(mailboxDir(job), ...folder.local),
      // After a reconnect the LIST-STATUS figures are stale, and the files on disk may have changed
      // (what the failed attempt saved): the folder is opened and read afresh.
      status: attempt === 1 ? status : undefined,
      ...(attempt === 1 && scanned ? { scanned } : {}),
      state, dryRun: job.dryRun, signal: job.signal, onEvent: job.onEvent, pool, ...(job.partSize ? { partSize: job.partSize } : {}),
    }, folderReport)));
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const full = diskFullAdvice(err, job.processFolder);
    folderReport.error = full ?? describeError(err);
    if (full) folderReport.diskFull = true;
  }
  job.onEvent({ type: 'folder-done', mailbox: job.mailbox.address, report: folderReport });
}

function mailboxDir(job: MailboxJob): string {
  return path.join(job.processFolder, safeSegment(job.mailbox.address));
}

/** Like withConnection, but the connection is only taken when `connect` is first called. */
async function withLazyConnection<T>(pool: ConnectionPool, fn: (connect: () => Promise<ImapSource>) => Promise<T>): Promise<T> {
  let source: Promise<ImapSource> | undefined;
  try {
    return await fn(() => (source ??= pool.acquire()));
  } finally {
    const taken = source && (await source.catch(() => undefined));
    if (taken) pool.release(taken);
  }
}

function retriesFor(job: MailboxJob, folder: string | undefined): RetryPolicy {
  return {
    retries: job.retries,
    retryDelayMs: job.retryDelayMs,
    signal: job.signal,
    onRetry: (attempt, delayMs, err) => job.onEvent({ type: 'retry', mailbox: job.mailbox.address, folder, attempt, delayMs, reason: describeError(err) }),
  };
}
