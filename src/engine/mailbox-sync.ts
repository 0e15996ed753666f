import path from 'node:path';
import type { MailboxConfig } from '../core/config-types.js';
import { describeError, InterruptedError } from '../core/errors.js';
import { resolveFolders } from '../core/folders.js';
import { safeSegment } from '../core/local-path.js';
import { emptyFolderReport, type FolderReport, type MailboxReport } from '../core/report.js';
import { ImapSource } from '../io/imap-source.js';
import { StateStore } from '../io/state-store.js';
import type { EventSink } from './events.js';
import { syncFolder } from './folder-sync.js';
import { backoffMs, isTransient, sleep } from './retry.js';

export interface MailboxJob {
  mailbox: MailboxConfig;
  processFolder: string;
  retries: number;
  retryDelayMs: number;
  timeoutMs: number;
  dryRun: boolean;
  signal: AbortSignal;
  onEvent: EventSink;
}

/** One mailbox: connect, resolve folders, back each up; a failing folder does not stop the rest. */
export async function syncMailbox(job: MailboxJob): Promise<MailboxReport> {
  const started = Date.now();
  const mb = job.mailbox;
  const report: MailboxReport = { mailbox: mb.address, ok: true, folders: [], seconds: 0 };
  const mailboxDir = path.join(job.processFolder, safeSegment(mb.address));
  const state = StateStore.forMailbox(job.processFolder, safeSegment(mb.address));
  let source: ImapSource | undefined;
  const connection = async () => {
    if (source?.usable) return source;
    await source?.close();
    source = await ImapSource.connect(mb, { socketTimeoutMs: job.timeoutMs, connectionTimeoutMs: Math.min(job.timeoutMs, 30_000) });
    return source;
  };
  job.onEvent({ type: 'mailbox-start', mailbox: mb.address });
  try {
    await state.load();
    const listed = await withRetries(job, undefined, async () => (await connection()).listFolders());
    const { folders, problems } = resolveFolders(mb.folders, mb.excludeFolders, listed);
    job.onEvent({ type: 'folders-resolved', mailbox: mb.address, folders: folders.map((f) => ({ spec: f.spec, path: f.path, local: f.local.join('/') })) });
    for (const p of problems) {
      const missing = { ...emptyFolderReport(p.spec, ''), error: p.message };
      report.folders.push(missing);
      job.onEvent({ type: 'folder-done', mailbox: mb.address, report: missing });
    }
    const statusOf = new Map(listed.map((f) => [f.path, f.status]));
    for (const folder of folders) {
      if (job.signal.aborted) throw new InterruptedError();
      const folderReport = emptyFolderReport(folder.path, folder.local.join('/'));
      report.folders.push(folderReport);
      try {
        await withRetries(job, folder.path, async (attempt) => {
          // After a reconnect the LIST-STATUS figures are stale; let the folder be opened afresh.
          const status = attempt === 1 ? statusOf.get(folder.path) : undefined;
          return syncFolder(await connection(), {
            mailbox: mb.address, resolved: folder, dir: path.join(mailboxDir, ...folder.local), status, state,
            dryRun: job.dryRun, signal: job.signal, onEvent: job.onEvent,
          }, folderReport);
        });
      } catch (err) {
        if (err instanceof InterruptedError) throw err;
        folderReport.error = describeError(err);
      }
      job.onEvent({ type: 'folder-done', mailbox: mb.address, report: folderReport });
    }
  } catch (err) {
    if (err instanceof InterruptedError) {
      report.interrupted = true;
    } else {
      report.ok = false;
      report.error = mailboxAdvice(mb, err);
    }
  } finally {
    await source?.close();
    report.seconds = (Date.now() - started) / 1000;
  }
  job.onEvent({ type: 'mailbox-done', report });
  return report;
}

async function withRetries<T>(job: MailboxJob, folder: string | undefined, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || attempt > job.retries || job.signal.aborted) throw err;
      const delayMs = backoffMs(attempt, job.retryDelayMs);
      job.onEvent({ type: 'retry', mailbox: job.mailbox.address, folder, attempt, delayMs, reason: describeError(err) });
      await sleep(delayMs, job.signal);
    }
  }
}

/** The reason a mailbox failed, phrased as what the admin should check. */
export function mailboxAdvice(mb: MailboxConfig, err: unknown): string {
  const e = err as { authenticationFailed?: boolean; code?: string };
  const where = `${mb.host}:${mb.port}`;
  if (e?.authenticationFailed) return `login refused for "${mb.login}" at ${where}: check the password of ${mb.address} in the mailbox list (and UserFullEmail: true/false)`;
  if (e?.code === 'ECONNREFUSED') return `nothing answers at ${where}: check imapHost and imapPort of ${mb.address}`;
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return `the host name ${mb.host} cannot be resolved: check imapHost of ${mb.address}`;
  const text = describeError(err);
  if (e?.code === 'GREETING_TIMEOUT' && mb.tls !== 'implicit') return `${where} sent no greeting: if this port expects TLS from the start (like 993), set tls: implicit for ${mb.address}`;
  if (/certificate|self[- ]signed|CERT_|unable to verify/i.test(text)) {
    return `the TLS certificate of ${where} is not trusted (${text}): give its CA with tlsCaFile, or set tlsRejectUnauthorized: false if you accept the risk`;
  }
  if (/STARTTLS/i.test(text)) return `${where} does not offer STARTTLS, so the password would travel unencrypted (${text}): use port 993, or tls: none with allowInsecure: true if you accept the risk`;
  return `${text} (${where})`;
}
