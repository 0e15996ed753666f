import type { ResolvedFolder } from '../core/folders.js';
import { InterruptedError } from '../core/errors.js';
import { emlFileName, legacySegment1, segment1 } from '../core/naming.js';
import { emptyFolderReport, type FolderReport } from '../core/report.js';
import { FolderStore } from '../io/folder-store.js';
import type { FolderStatus, ImapSource, MessageMeta } from '../io/imap-source.js';
import type { StateStore } from '../io/state-store.js';
import type { EventSink } from './events.js';
import { WriteQueue } from './write-queue.js';

/** Messages this large are streamed to disk rather than held whole in memory. */
export const STREAM_THRESHOLD = 10 * 1024 * 1024;
const WRITES_IN_FLIGHT = 8;

export interface FolderJob {
  mailbox: string;
  resolved: ResolvedFolder;
  dir: string;
  /** From LIST-STATUS, when the server gave it. */
  status: FolderStatus | undefined;
  state: StateStore;
  dryRun: boolean;
  signal: AbortSignal;
  onEvent: EventSink;
}

interface Planned {
  meta: MessageMeta;
  fileName: string;
  /** Same Message-ID and size as this earlier file of the run: kept only if its bytes differ. */
  twinOf?: string;
}

/**
 * Backs up one folder on a connected source. Safe to call again after a dropped connection: what
 * is on disk is skipped, so a retry resumes where the last one stopped.
 */
export async function syncFolder(source: ImapSource, job: FolderJob, report: FolderReport = emptyFolderReport(job.resolved.path, job.resolved.local.join('/'))): Promise<FolderReport> {
  const started = Date.now();
  const store = new FolderStore(job.dir);
  await store.scan();
  const key = job.resolved.local.join('/');
  const mark = job.state.get(key);
  const trusted = (uidValidity: string) => mark !== undefined && mark.uidValidity === uidValidity && store.count >= mark.emlCount;

  // The fast path: LIST-STATUS said nothing arrived since the last run, so no SELECT, no FETCH.
  if (job.status && trusted(job.status.uidValidity) && job.status.uidNext <= (mark?.lastUid ?? 0) + 1) {
    report.present = store.count;
    job.onEvent({ type: 'folder-plan', mailbox: job.mailbox, folder: job.resolved.path, toDownload: 0, present: store.count, fast: true });
    return finish(report, started);
  }

  const opened = await source.open(job.resolved.path);
  const from = trusted(opened.uidValidity) ? (mark?.lastUid ?? 0) : 0;
  const plan: Planned[] = [];
  const plannedIds = new Map<string, string>();
  const plannedNames = new Set<string>();
  let highestSeen = from;
  let present = from > 0 ? store.count : 0;
  report.duplicates = 0;
  if (opened.messages > 0 && opened.uidNext > from + 1) {
    for await (const meta of source.headers(from)) {
      highestSeen = Math.max(highestSeen, meta.uid);
      const seg = segment1(meta);
      const name = emlFileName(meta);
      const identity = `${seg}:${meta.size}`;
      const twinOf = plannedIds.get(identity);
      if (twinOf === undefined && ((await store.has(seg, name, meta.size)) || (await store.hasLegacy(legacySegment1(meta.messageId), meta.messageId)))) {
        present++;
      } else {
        const fileName = store.uniqueName(name, plannedNames);
        if (twinOf === undefined) plannedIds.set(identity, fileName);
        plannedNames.add(fileName);
        plan.push({ meta, fileName, ...(twinOf !== undefined ? { twinOf } : {}) });
      }
    }
  }
  report.present = present;
  job.onEvent({ type: 'folder-plan', mailbox: job.mailbox, folder: job.resolved.path, toDownload: plan.length, present, fast: false });
  if (job.dryRun) {
    report.wouldDownload = plan.length;
    return finish(report, started);
  }

  if (plan.length > 0) await store.ensureDir();
  const done = await download(source, store, plan, job, report);
  // The mark only moves past UIDs that are safely on disk, so an interrupted run loses nothing.
  const firstMissing = plan.find((p) => !done.has(p.meta.uid));
  const lastUid = firstMissing ? firstMissing.meta.uid - 1 : Math.max(highestSeen, opened.uidNext - 1);
  await job.state.set(key, { uidValidity: opened.uidValidity, lastUid, emlCount: store.count });
  if (job.signal.aborted) throw new InterruptedError();
  return finish(report, started);
}

async function download(source: ImapSource, store: FolderStore, plan: Planned[], job: FolderJob, report: FolderReport): Promise<Set<number>> {
  const done = new Set<number>();
  const byUid = new Map(plan.map((p) => [p.meta.uid, p]));
  const small = plan.filter((p) => p.meta.size < STREAM_THRESHOLD).map((p) => p.meta.uid);
  const large = plan.filter((p) => p.meta.size >= STREAM_THRESHOLD);
  const saved = (p: Planned, bytes: number) => {
    done.add(p.meta.uid);
    report.newCount++;
    report.bytes += bytes;
    job.onEvent({ type: 'message-saved', mailbox: job.mailbox, folder: job.resolved.path, fileName: p.fileName, bytes });
  };

  const queue = new WriteQueue(WRITES_IN_FLIGHT);
  try {
    for await (const { uid, source: raw } of source.bodies(small)) {
      const p = byUid.get(uid);
      if (!p || done.has(uid)) continue;
      if (p.twinOf !== undefined) await queue.drain();
      // Same Message-ID and size as a message saved earlier in this run: a second copy of it on the
      // server is skipped; different bytes (rare, but real) are a different message and are kept.
      if (p.twinOf !== undefined && (await store.sameBytes(p.twinOf, raw))) {
        done.add(uid);
        report.duplicates++;
        continue;
      }
      await queue.add(async () => {
        await store.write(p.fileName, raw);
        saved(p, raw.length);
      });
      if (job.signal.aborted) break;
    }
  } finally {
    // Whatever ends the FETCH (done, a dropped connection, Ctrl+C), what was received is written.
    await queue.drain();
  }
  if (job.signal.aborted) return done;
  // Streamed downloads run after the FETCH loop: calling download() inside it deadlocks (imapflow 284).
  for (const p of large) {
    if (job.signal.aborted) return done;
    const stream = await source.stream(p.meta.uid);
    if (!stream) continue;
    saved(p, await store.writeStream(p.fileName, stream));
  }
  // A message listed by the header fetch but not returned now was expunged meanwhile.
  for (const p of plan) {
    if (!done.has(p.meta.uid)) {
      report.vanished++;
      done.add(p.meta.uid);
      job.onEvent({ type: 'warning', mailbox: job.mailbox, folder: job.resolved.path, message: `UID ${p.meta.uid} was deleted on the server before it could be downloaded` });
    }
  }
  return done;
}

function finish(report: FolderReport, started: number): FolderReport {
  report.seconds += (Date.now() - started) / 1000;
  return report;
}
