import type { ResolvedFolder } from '../core/folders.js';
import { InterruptedError } from '../core/errors.js';
import { emlFileName, legacySegment1, segment1 } from '../core/naming.js';
import { emptyFolderReport, type FolderReport } from '../core/report.js';
import { FolderStore } from '../io/folder-store.js';
import type { FolderStatus, ImapSource, MessageMeta } from '../io/imap-source.js';
import type { StateStore } from '../io/state-store.js';
import type { EventSink } from './events.js';
import type { ConnectionPool } from './connection-pool.js';
import { chunk, download, type Planned } from './folder-download.js';

/**
 * New UIDs planned and downloaded at a time. A folder's plan is held until its bodies are on disk,
 * so parts keep memory the same for a folder of 5,000 messages and one of 500,000; and each part
 * moves the folder's mark, so an interrupted first backup of a huge folder resumes where it stopped.
 */
export const PLAN_PART = 5000;

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
  /** Extra connections for the UID ranges of a large folder, when the pool has them to spare. */
  pool?: ConnectionPool;
  /** UIDs per part; PLAN_PART unless a test needs parts small enough to see. */
  partSize?: number;
}

/**
 * Backs up one folder on a connected source. Safe to call again after a dropped connection: what
 * is on disk is skipped, so a retry resumes where the last one stopped.
 */
export async function syncFolder(connect: () => Promise<ImapSource>, job: FolderJob, report: FolderReport = emptyFolderReport(job.resolved.path, job.resolved.local.join('/'))): Promise<FolderReport> {
  const started = Date.now();
  const store = new FolderStore(job.dir);
  await store.scan();
  const key = job.resolved.local.join('/');
  const mark = job.state.get(key);
  const trusted = (uidValidity: string) => mark !== undefined && mark.uidValidity === uidValidity && store.count >= mark.emlCount;
  const planEvent = (toDownload: number, present: number, fast: boolean, part?: { part: number; parts: number }) =>
    job.onEvent({ type: 'folder-plan', mailbox: job.mailbox, folder: job.resolved.path, toDownload, present, fast, ...part });

  // The fast path: LIST-STATUS said nothing arrived since the last run, so no SELECT, no FETCH.
  if (job.status && trusted(job.status.uidValidity) && job.status.uidNext <= (mark?.lastUid ?? 0) + 1) {
    report.present = store.count;
    planEvent(0, store.count, true);
    return finish(report, started);
  }

  // Only a folder with something to do takes a connection: a no-op run opens one, for LIST-STATUS.
  const source = await connect();
  const opened = await source.open(job.resolved.path);
  const from = trusted(opened.uidValidity) ? (mark?.lastUid ?? 0) : 0;
  const uids = opened.messages > 0 && opened.uidNext > from + 1 ? await source.uidsAbove(from) : [];
  const parts = chunk(uids, job.partSize ?? PLAN_PART);
  const planner = new Planner(store);
  report.present = from > 0 ? store.count : 0;
  report.duplicates = 0;
  if (parts.length === 0) planEvent(0, report.present, false);
  if (job.dryRun) report.wouldDownload = 0;
  let lastUid = from;
  for (const [k, part] of parts.entries()) {
    if (job.signal.aborted) break;
    const plan = await planner.plan(source.headers(part));
    report.present += plan.present;
    planEvent(plan.items.length, report.present, false, parts.length > 1 ? { part: k + 1, parts: parts.length } : undefined);
    if (job.dryRun) {
      report.wouldDownload = (report.wouldDownload ?? 0) + plan.items.length;
      continue;
    }
    if (plan.items.length > 0) await store.ensureDir();
    const done = await download(source, store, plan.items, job, report, opened.uidValidity);
    // The mark only moves past UIDs that are safely on disk, so an interrupted run loses nothing.
    const firstMissing = plan.items.find((p) => !done.has(p.meta.uid));
    if (firstMissing) {
      lastUid = firstMissing.meta.uid - 1;
      break;
    }
    lastUid = part[part.length - 1] ?? lastUid;
    if (k < parts.length - 1) await job.state.set(key, { uidValidity: opened.uidValidity, lastUid, emlCount: store.count });
  }
  if (job.dryRun) return finish(report, started);
  if (!job.signal.aborted) lastUid = Math.max(lastUid, opened.uidNext - 1);
  await job.state.set(key, { uidValidity: opened.uidValidity, lastUid, emlCount: store.count });
  if (job.signal.aborted) throw new InterruptedError();
  return finish(report, started);
}

/** Decides, part by part, which messages are new; remembers what this run planned across parts. */
class Planner {
  /** `segment1:size` → file name, for every message this run planned: a later copy is a twin. */
  private readonly planned = new Map<string, string>();

  constructor(private readonly store: FolderStore) {}

  async plan(headers: AsyncIterable<MessageMeta>): Promise<{ items: Planned[]; present: number }> {
    const items: Planned[] = [];
    const names = new Set<string>();
    let present = 0;
    for await (const meta of headers) {
      const seg = segment1(meta);
      const name = emlFileName(meta, seg);
      const identity = [seg, meta.size].join(':');
      const twinOf = this.planned.get(identity);
      if (twinOf === undefined && ((await this.store.has(seg, name, meta.size)) || (await this.store.hasLegacy(legacySegment1(meta.messageId), meta.messageId)))) {
        present++;
      } else {
        // Names planned in earlier parts are on disk by now, where uniqueName sees them (a dry run
        // writes nothing, but it only counts).
        const fileName = this.store.uniqueName(name, names);
        if (twinOf === undefined) this.planned.set(identity, fileName);
        names.add(fileName);
        items.push({ meta: { uid: meta.uid, size: meta.size }, fileName, ...(twinOf !== undefined ? { twinOf } : {}) });
      }
    }
    return { items, present };
  }
}

function finish(report: FolderReport, started: number): FolderReport {
  report.seconds += (Date.now() - started) / 1000;
  return report;
}
