import type { FolderStore } from '../io/folder-store.js';
import { metaOfBody, uidSet, type Body, type ImapSource, type MessageMeta } from '../io/imap-source.js';
import type { FolderReport } from '../core/report.js';
import type { FolderJob } from './folder-sync.js';
import { WriteQueue } from './write-queue.js';

/**
 * Messages this large are streamed to disk in 1 MB pieces rather than held whole in memory (twice,
 * while the parser joins the pieces), on every connection of the folder at once. Measured on
 * 20,000 messages: peak RSS 141-168 MB at 10 MB, 135-154 MB at 2 MB.
 */
export const STREAM_THRESHOLD = 2 * 1024 * 1024;
const WRITES_IN_FLIGHT = 8;
/** Message bytes waiting for the disk per folder: bounds memory when large messages come in a row. */
const BYTES_IN_FLIGHT = 4 * 1024 * 1024;
/** Messages per FETCH command when a folder's bodies are spread over several connections. */
const RANGE_SIZE = 250;

export interface Planned {
  /**
   * Only what the download needs. The headers' strings can be slices of the whole header block,
   * which would stay in memory with them for every planned message.
   */
  meta: Pick<MessageMeta, 'uid' | 'size'>;
  fileName: string;
  /** Same Message-ID and size as this earlier file of the run: kept only if its bytes differ. */
  twinOf?: string;
  /** twinOf is a file found on disk that may hold this message: saved already if the bytes are the same. */
  verify?: true;
}

/** Messages below STREAM_THRESHOLD not planned yet: each is named from its own bytes on arrival. */
export interface Unnamed {
  uids: number[];
  name: (meta: MessageMeta) => Planned;
}

/**
 * Downloads the planned messages of one part of a folder, and the unnamed ones. Returns the UIDs
 * that are settled: on disk, skipped as a byte-identical twin, or gone from the server meanwhile.
 */
export async function download(source: ImapSource, store: FolderStore, planned: Planned[], job: FolderJob, report: FolderReport, uidValidity: string, options: { unnamed?: Unnamed; filesCounted?: boolean } = {}): Promise<Set<number>> {
  const { unnamed, filesCounted = false } = options;
  const done = new Set<number>();
  const plan = [...planned];
  const byUid = new Map(plan.map((p) => [p.meta.uid, p]));
  const toName = new Set(unnamed?.uids);
  const small = (p: Planned) => p.meta.size < STREAM_THRESHOLD;
  const twins = plan.filter((p) => small(p) && p.twinOf !== undefined).map((p) => p.meta.uid);
  // Named as it arrives; a twin is set aside for the twins' turn below, once its original is on disk.
  const arrived = (body: Body): Planned | undefined => {
    if (!unnamed || !toName.delete(body.uid)) return byUid.get(body.uid);
    const p = unnamed.name(metaOfBody(body));
    plan.push(p);
    byUid.set(body.uid, p);
    if (p.twinOf === undefined) return p;
    twins.push(p.meta.uid);
    return undefined;
  };
  const saved = (p: Planned, bytes: number) => {
    done.add(p.meta.uid);
    report.newCount++;
    report.bytes += bytes;
    job.onEvent({ type: 'message-saved', mailbox: job.mailbox, folder: job.resolved.path, fileName: p.fileName, bytes });
  };
  // Its bytes are on disk already: stored twice on the server (a copy of a message of this run), or
  // saved by an earlier run (counted with the files on disk when the mark is trusted, else here).
  const settled = (copy: 'this run' | 'earlier run') => {
    if (copy === 'this run') report.duplicates++;
    else if (!filesCounted) report.present++;
  };
  const queue = new WriteQueue(WRITES_IN_FLIGHT, BYTES_IN_FLIGHT);
  // The store frees the Buffer once written: its length is taken first. A message counts as saved
  // once under its final name, which may come after its write's slot is free (a group commit).
  const write = (p: Planned, raw: Buffer) => {
    const bytes = raw.length;
    return queue.add(async () => {
      const { committed } = await store.write(p.fileName, raw);
      queue.follow(committed.then(() => saved(p, bytes)));
    }, bytes);
  };
  // Every write of this phase under its final name, or failed.
  const writesDone = () => queue.drain(() => store.flushWrites());
  const large = plan.filter((p) => !small(p));
  const first = plan.filter((p) => small(p) && p.twinOf === undefined).map((p) => p.meta.uid);
  const ranges = chunk([...first, ...toName].sort((a, b) => a - b), RANGE_SIZE);
  let fetched = false;
  try {
    await shareWork(source, ranges, job, uidValidity, async (conn, range) => {
      for await (const body of conn.bodies(range, toName.size > 0)) {
        const p = arrived(body);
        // A twin is written only by the twins' turn, after its bytes are compared.
        if (p && p.twinOf === undefined && !done.has(body.uid)) await write(p, body.source);
        if (job.signal.aborted) break;
      }
    });
    fetched = true;
  } finally {
    // Whatever ends the FETCH (a dropped connection, Ctrl+C), what was received is written before
    // the failure goes on. When all went well the commit is only started: the streamed bodies need
    // not wait for its flush (a +100 run waited ~15 ms for it), and their own wait below covers it.
    if (fetched) void writesDone().catch(() => undefined);
    else await writesDone();
  }
  // Streamed bodies come after the FETCH loops: a connection reads one FETCH at a time (and
  // imapflow's download(), where the raw FETCH cannot be used, deadlocks inside one: imapflow 284).
  try {
    await shareWork(source, large.filter((p) => p.twinOf === undefined), job, uidValidity, async (conn, p) => {
      // Followed at once: a body read whole can be written before its FETCH fails, and its
      // commit must still be waited for (and its failure seen) before the folder is done.
      const written = await conn.streamBody(p.meta.uid, (stream) => store.writeStream(p.fileName, stream).then((w) => (queue.follow(w.committed), w)));
      // Saved once under its final name; the connection meanwhile fetches the next body.
      if (written !== undefined) queue.follow(written.committed.then(() => saved(p, written.bytes)));
    });
  } finally {
    await writesDone();
  }
  // Twins last, on one connection, once every message each may repeat is on disk.
  try {
    twins.sort((a, b) => a - b);
    for await (const { uid, source: raw } of source.bodies(job.signal.aborted ? [] : twins)) {
      const p = byUid.get(uid);
      if (!p || done.has(uid)) continue;
      // Same Message-ID and size as a message saved earlier: a second copy of it on the server is
      // skipped; different bytes (rare, but real) are a different message and are kept, unless an
      // earlier run saved them.
      const copy = p.twinOf === undefined ? undefined : await store.copyOf(p.twinOf, raw, p.verify === true);
      if (copy !== undefined) {
        done.add(uid);
        settled(copy);
      } else {
        await write(p, raw);
        await writesDone();
        if (p.twinOf !== undefined) store.noteVariant(p.twinOf, p.fileName);
      }
    }
  } finally {
    await writesDone();
  }
  // Large twins one by one: compared file to file.
  for (const p of large.filter((x) => x.twinOf !== undefined)) {
    if (job.signal.aborted) return done;
    const copy = await source.streamBody(p.meta.uid, (stream) => store.writeStreamUnlessSame(p.fileName, stream, p.twinOf as string, p.verify === true));
    if (copy === undefined) continue;
    if (typeof copy === 'number') saved(p, copy);
    else {
      done.add(p.meta.uid);
      settled(copy);
    }
  }
  if (job.signal.aborted) return done;
  // Listed by the header FETCH or the SEARCH but not sent by the body FETCH.
  const missing = [...plan.map((p) => p.meta.uid), ...toName].filter((uid) => !done.has(uid));
  await settleUnseen(source, missing, job, report);
  for (const uid of missing) done.add(uid);
  return done;
}

/**
 * UIDs a FETCH did not return: deleted on the server meanwhile (counted and said), or, if the
 * server still lists any, the folder fails and its mark stays before them. A message a server
 * never sends (a damaged one) so fails its folder every run, with this message, rather than
 * being passed over in silence.
 */
export async function settleUnseen(source: ImapSource, unseen: number[], job: FolderJob, report: FolderReport): Promise<void> {
  if (unseen.length === 0) return;
  const listed = await source.uidsIn(unseen);
  if (listed.length > 0) throw new Error(`the server lists ${listed.length === 1 ? `UID ${listed[0]}` : `${listed.length} messages (UIDs ${uidSet(listed)})`} in ${job.resolved.path} but did not send ${listed.length === 1 ? 'it' : 'them'}; ${listed.length === 1 ? 'it is' : 'they are'} tried again on the next run`);
  for (const uid of unseen) {
    report.vanished++;
    job.onEvent({ type: 'warning', mailbox: job.mailbox, folder: job.resolved.path, message: `UID ${uid} was deleted on the server before it could be downloaded` });
  }
}

/**
 * Work on one folder (UID ranges to fetch, large messages to stream) done by this connection and
 * by any the pool can spare: a large folder is then downloaded over several connections at once.
 */
async function shareWork<T>(own: ImapSource, tasks: T[], job: FolderJob, uidValidity: string, run: (source: ImapSource, task: T) => Promise<void>): Promise<void> {
  let next = 0;
  const running: Promise<void>[] = [];
  const failures: unknown[] = [];
  // Each worker's failure is captured at once: a rejection nobody awaits yet would end the process.
  const start = (fn: () => Promise<void>) => running.push(fn().catch((err: unknown) => void failures.push(err)));
  const work = async (source: ImapSource) => {
    while (next < tasks.length && !job.signal.aborted && failures.length === 0) {
      await run(source, tasks[next++] as T);
      await recruit();
    }
  };
  const recruit = async () => {
    while (job.pool && tasks.length - next >= 2 && failures.length === 0 && !job.signal.aborted) {
      const extra = await job.pool.tryAcquire().catch(() => undefined);
      if (!extra) return;
      start(async () => {
        try {
          // Another UIDVALIDITY means the folder was recreated: its UIDs name other messages now.
          if ((await extra.open(job.resolved.path)).uidValidity !== uidValidity) throw new Error(`${job.resolved.path} was recreated on the server during the run (its UIDVALIDITY changed); it is read again from the start`);
          await work(extra);
        } finally {
          job.pool?.release(extra);
        }
      });
    }
  };
  start(async () => {
    await recruit();
    await work(own);
  });
  // Workers may recruit more workers while they run: wait until no new one appears.
  for (let settled = 0; settled < running.length; ) {
    const batch = running.slice(settled);
    settled = running.length;
    await Promise.all(batch);
  }
  if (failures.length > 0) throw failures[0];
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
