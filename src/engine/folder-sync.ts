import type { ResolvedFolder } from '../core/folders.js';
import { InterruptedError } from '../core/errors.js';
import { emlFileName, legacySegment1, segment1 } from '../core/naming.js';
import { TwinIndex } from '../core/compact-tables.js';
import { emptyFolderReport, type FolderReport } from '../core/report.js';
import { FolderStore, foldName } from '../io/folder-store.js';
import { expectItems } from '../io/memory.js';
import type { FolderStatus, ImapSource, MessageMeta } from '../io/imap-source.js';
import type { StateStore } from '../io/state-store.js';
import type { EventSink } from './events.js';
import type { ConnectionPool } from './connection-pool.js';
import { chunk, download, settleUnseen, STREAM_THRESHOLD, type Planned } from './folder-download.js';

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
  /** The folder as read from disk ahead (scanFolder), for the first attempt; undefined if that failed. */
  scanned?: Promise<FolderStore | undefined>;
}

/** A folder's files as they are now (FolderStore.scan); a dry run leaves temp files alone. */
export async function scanFolder(dir: string, dryRun: boolean): Promise<FolderStore> {
  const store = new FolderStore(dir);
  await store.scan(!dryRun);
  return store;
}

/**
 * Backs up one folder on a connected source. Safe to call again after a dropped connection: what
 * is on disk is skipped, so a retry resumes where the last one stopped.
 */
export async function syncFolder(connect: () => Promise<ImapSource>, job: FolderJob, report: FolderReport = emptyFolderReport(job.resolved.path, job.resolved.local.join('/'))): Promise<FolderReport> {
  const started = Date.now();
  const store = (await job.scanned) ?? (await scanFolder(job.dir, job.dryRun));
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
  const opening = source.open(job.resolved.path);
  // The server takes a while to open a large folder: meanwhile, the CPU indexes the names on disk,
  // which planning needs first. Only where LIST-STATUS said there is something new to plan.
  if (job.status) store.prepare();
  const opened = await opening;
  // Where LIST-STATUS gave no counts, the folder's own (mailbox-sync.ts counts the mailbox's).
  expectItems(opened.messages ?? 0);
  const from = trusted(opened.uidValidity) ? (mark?.lastUid ?? 0) : 0;
  // EXAMINE's counts only spare a SEARCH: one the server left out cannot say "nothing new".
  const nothingNew = opened.messages === 0 || (opened.uidNext !== undefined && opened.uidNext <= from + 1);
  const uids = nothingNew ? [] : await source.uidsAbove(from);
  const parts = chunk(uids, job.partSize ?? PLAN_PART);
  // Run once the first FETCH is on its way: the flushing shell starts while the server answers.
  if (uids.length > 0 && !job.dryRun) setImmediate(() => store.expectWrites());
  const planner = new Planner(store);
  // Nothing on disk when the folder was read (a first backup, or every run after cleaning): no
  // message can be present, so bodies are fetched at once and named from their own headers,
  // without a header FETCH first (a fifth of a full backup's CPU, server's and ours, at 10,000).
  // A dry run only counts, and needs the headers alone.
  const fresh = store.count === 0 && !job.dryRun;
  report.present = from > 0 ? store.count : 0;
  report.duplicates = 0;
  if (parts.length === 0) planEvent(0, report.present, false);
  if (job.dryRun) report.wouldDownload = 0;
  let lastUid = from;
  for (const [k, part] of parts.entries()) {
    if (job.signal.aborted) break;
    const plan = fresh ? await planner.planFresh(source, part) : { ...(await planner.plan(source.headers(part), from > 0)), unnamed: [] };
    // A UID the SEARCH listed but the header FETCH left out is gone, if the server no longer lists it.
    await settleUnseen(source, part.filter((uid) => !plan.seen.has(uid)), job, report);
    report.present += plan.present;
    planEvent(plan.items.length + plan.unnamed.length, report.present, false, parts.length > 1 ? { part: k + 1, parts: parts.length } : undefined);
    if (job.dryRun) {
      report.wouldDownload = (report.wouldDownload ?? 0) + plan.items.length;
      continue;
    }
    if (plan.items.length + plan.unnamed.length > 0) await store.ensureDir();
    const done = await download(source, store, plan.items, job, report, opened.uidValidity, { unnamed: { uids: plan.unnamed, name: (m) => planner.name(m) }, filesCounted: from > 0 });
    // The mark only moves past UIDs that are safely on disk, so an interrupted run loses nothing.
    const firstMissing = [...plan.items.map((p) => p.meta.uid), ...plan.unnamed].sort((a, b) => a - b).find((uid) => !done.has(uid));
    if (firstMissing !== undefined) {
      lastUid = firstMissing - 1;
      break;
    }
    lastUid = part[part.length - 1] ?? lastUid;
    if (k < parts.length - 1) await job.state.set(key, { uidValidity: opened.uidValidity, lastUid, emlCount: store.count }, job.resolved.path);
  }
  if (job.dryRun) return finish(report, started);
  // UIDNEXT as EXAMINE gave it: nothing below it was left unseen. Without it, the last UID done.
  if (!job.signal.aborted && opened.uidNext !== undefined) lastUid = Math.max(lastUid, opened.uidNext - 1);
  await job.state.set(key, { uidValidity: opened.uidValidity, lastUid, emlCount: store.count }, job.resolved.path);
  if (job.signal.aborted) throw new InterruptedError();
  return finish(report, started);
}

/** Decides, part by part, which messages are new; remembers what this run planned across parts. */
class Planner {
  /** (segment1, size) → file name, for every message this run planned: a later copy is a twin. */
  private readonly planned = new TwinIndex();
  /** Names given in this part, folded: not all on disk yet, where uniqueName would see them. */
  private readonly names = new Set<string>();

  constructor(private readonly store: FolderStore) {}

  /**
   * With `verify` (UIDs above a trusted mark), a file that seems to hold a message may as well be
   * an older message's (a list copy, a draft saved again, one of two messages sharing a name of
   * which an interrupted run saved only the first): the message is fetched and compared with it,
   * and counted as saved only if the bytes are the same. New mail rarely has such a file, so this
   * costs a FETCH only after an interruption (at most one part) or for those messages. A match by
   * name or Message-ID alone (no file of the message's size) is compared always: the file may be a
   * message's since deleted on the server.
   */
  async plan(headers: AsyncIterable<MessageMeta>, verify = false): Promise<{ items: Planned[]; present: number; seen: Set<number> }> {
    // Names of earlier parts are on disk by now, where uniqueName sees them.
    this.names.clear();
    const metas: MessageMeta[] = [];
    for await (const meta of headers) metas.push(meta);
    const segs = metas.map((meta) => segment1(meta));
    const found: (string | undefined)[] = [];
    // Each file is matched to one message at most: first where its length is the message's size
    // (the tool's own files, or the original tool's by Message-ID), then by name or Message-ID
    // alone, which is all there is where a server's sizes differ from the bytes it sends.
    const weak = new Set<number>();
    const claim = (i: number, file: string | undefined, bySize: boolean) => {
      if (file === undefined) return;
      this.store.claim((found[i] = file));
      if (!bySize) weak.add(i);
    };
    const looked = (i: number) => found[i] !== undefined || this.planned.has(segs[i] as string, metas[i]?.size ?? 0);
    for (const bySize of [true, false]) {
      for (const [i, meta] of metas.entries()) {
        if (looked(i)) continue;
        const seg = segs[i] as string;
        const name = emlFileName(meta, seg);
        const mine = bySize ? await this.store.matchBySize(seg, name, meta.size) : this.store.matchByName(seg, name);
        claim(i, mine ?? (await this.store.matchLegacy(legacySegment1(meta.messageId), meta.messageId, bySize ? meta.size : undefined)), bySize);
      }
    }
    const items: Planned[] = [];
    let present = 0;
    for (const [i, meta] of metas.entries()) {
      const file = found[i];
      const seg = segs[i] as string;
      if (file === undefined) {
        items.push(this.name(meta, seg));
      } else if (verify || weak.has(i)) {
        // Compared with the file found for it; a later copy of it, with that file too (the name
        // given here is only written if the bytes differ). A twin of an earlier message of the run
        // stays one: its comparison covers that message's file, its variants and the files on disk.
        const named = this.name(meta, seg, file);
        items.push(named.twinOf !== undefined ? named : { ...named, twinOf: file, verify: true });
      } else {
        present++;
        // A later copy of this message is a twin of the file found for it.
        if (!this.planned.has(seg, meta.size)) this.planned.set(seg, meta.size, file);
      }
    }
    return { items, present, seen: new Set(metas.map((m) => m.uid)) };
  }

  /**
   * For a folder with nothing on disk: only the large messages, streamed later, are named by their
   * header fields now; the others are named from their bytes as they arrive (`name`).
   */
  async planFresh(source: ImapSource, part: number[]): Promise<{ items: Planned[]; present: number; unnamed: number[]; seen: Set<number> }> {
    const first = part[0];
    const last = part[part.length - 1];
    if (first === undefined || last === undefined) return { items: [], present: 0, unnamed: [], seen: new Set() };
    const large = await source.uidsLarger(first, last, STREAM_THRESHOLD - 1);
    const { items, seen } = await this.plan(source.headers(large, true));
    const named = new Set(large);
    const unnamed = part.filter((uid) => !named.has(uid));
    // The unnamed are settled after the body FETCH, by settleUnseen in download().
    for (const uid of unnamed) seen.add(uid);
    return { items, present: 0, unnamed, seen };
  }

  /**
   * A message to download: its name, unique in the folder, or a twin of one planned earlier in the
   * run (same Message-ID and size), kept only if its bytes differ. Names taken by messages planned
   * but not yet written count as taken; the rest the store knows (a dry run writes nothing, but it
   * only counts).
   */
  name(meta: MessageMeta, seg = segment1(meta), onDisk?: string): Planned {
    const twinOf = this.planned.get(seg, meta.size);
    const fileName = this.store.uniqueName(emlFileName(meta, seg), this.names);
    if (twinOf === undefined) this.planned.set(seg, meta.size, onDisk ?? fileName);
    this.names.add(foldName(fileName));
    return { meta: { uid: meta.uid, size: meta.size }, fileName, ...(twinOf !== undefined ? { twinOf } : {}) };
  }
}

function finish(report: FolderReport, started: number): FolderReport {
  report.seconds += (Date.now() - started) / 1000;
  return report;
}
