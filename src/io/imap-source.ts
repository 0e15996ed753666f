import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Readable } from 'node:stream';
import type { MailboxConfig } from '../core/config-types.js';
import type { ServerFolder } from '../core/folders.js';
import type { FetchResponse } from './fetch-items.js';
import { bodyOf, HEADER_FIELDS, headerKey, metaOf, metaOfFetch, toDate, type Body, type MessageMeta } from './fetched.js';
import { streamBody } from './body-stream.js';
import { trustedSpecialUse } from './special-use.js';
import { imapAuth } from './imap-auth.js';
import { canBorrow, rawFetch } from './raw-fetch.js';
import { servername, takeEarly, tlsOptions } from './early-connect.js';

export interface FolderStatus {
  messages: number;
  uidNext: number;
  /** bigint on the wire; a string so it survives JSON. */
  uidValidity: string;
}

/** What EXAMINE said. A count the server left out (both are required, but) is undefined, not 0. */
export interface OpenedFolder {
  messages: number | undefined;
  uidNext: number | undefined;
  uidValidity: string;
}

export interface ListedFolder extends ServerFolder {
  status?: FolderStatus | undefined;
}

export { HEADER_FIELDS, metaOfBody, type Body, type MessageMeta } from './fetched.js';

export interface SourceOptions {
  /** Socket inactivity limit: a server that stops answering fails fast enough to retry. */
  socketTimeoutMs?: number;
  connectionTimeoutMs?: number;
}

/** One IMAP connection to one mailbox. A dropped connection is never reused: make a new source. */
export class ImapSource {
  private closed = false;
  private lastError: unknown;

  private constructor(private readonly client: ImapFlow) {
    // Without a listener an 'error' event would crash the process (imapflow issue 47).
    client.on('error', (err: unknown) => {
      this.lastError = err;
    });
    client.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(mb: MailboxConfig, opts: SourceOptions = {}): Promise<ImapSource> {
    const auth = await imapAuth(mb);
    try {
      return await ImapSource.open(mb, opts, auth);
    } catch (err) {
      // A token the server no longer takes (it expired early, or was revoked): once more with a new one.
      if (!mb.oauth2 || !(err as { authenticationFailed?: unknown }).authenticationFailed) throw err;
      return ImapSource.open(mb, opts, await imapAuth(mb, auth));
    }
  }

  private static async open(mb: MailboxConfig, opts: SourceOptions, auth: ImapFlowOptions['auth']): Promise<ImapSource> {
    const options: ImapFlowOptions = {
      host: mb.host,
      port: mb.port,
      secure: mb.tls === 'implicit',
      doSTARTTLS: mb.tls === 'starttls' ? true : mb.tls === 'none' ? false : undefined,
      servername: servername(mb),
      auth,
      tls: tlsOptions(mb),
      // The first connection's handshake may be under way already (early-connect.ts).
      transport: takeEarly(mb),
      logger: false,
      disableAutoIdle: true,
      connectionTimeout: opts.connectionTimeoutMs ?? 30_000,
      greetingTimeout: 16_000,
      socketTimeout: opts.socketTimeoutMs ?? 120_000,
      clientInfo: { name: 'imap-backup-tool' },
    };
    const client = new ImapFlow(options);
    const source = new ImapSource(client);
    await client.connect();
    return source;
  }

  get usable(): boolean {
    return !this.closed && this.client.usable;
  }

  get error(): unknown {
    return this.lastError;
  }

  async listFolders(): Promise<ListedFolder[]> {
    const listed = this.client.list({ statusQuery: { messages: true, uidNext: true, uidValidity: true } });
    // imapflow sorts the answer with localeCompare, whose first call in a process loads ICU's
    // collation data (6-8 ms of CPU). Loaded here, once the LIST is on its way, it costs nothing:
    // the server is still working on the answer (LIST-STATUS: 5-15 ms).
    setImmediate(warmCollator);
    const list = await listed;
    return list.map((f) => ({
      path: f.path,
      delimiter: f.delimiter || null,
      specialUse: trustedSpecialUse(f),
      flags: f.flags,
      status: f.status && f.status.uidNext !== undefined && f.status.uidValidity !== undefined
        ? { messages: f.status.messages ?? 0, uidNext: f.status.uidNext, uidValidity: f.status.uidValidity.toString() }
        : undefined,
    }));
  }

  /** EXAMINE, never SELECT: a backup must not change \Seen or \Recent. */
  async open(path: string): Promise<OpenedFolder> {
    const box = await this.client.mailboxOpen(path, { readOnly: true });
    const count = (n: unknown) => (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined);
    // Without UIDVALIDITY no UID can be trusted from one run to the next: no backup is safe.
    if (box.uidValidity === undefined || box.uidValidity === null) throw new Error(`the server did not give ${path}'s UIDVALIDITY when opening it; the folder cannot be backed up incrementally`);
    return { messages: count(box.exists), uidNext: count(box.uidNext), uidValidity: box.uidValidity.toString() };
  }

  /** The UIDs above `mark`, ascending: what a run still has to look at in the open folder. */
  async uidsAbove(mark: number): Promise<number[]> {
    // `n:*` matches the last message even when n is past it.
    return (await this.searchUids({ uid: `${mark + 1}:*` })).filter((uid) => uid > mark);
  }

  /**
   * One pipelined FETCH of the header fields: every UID above a mark, or the UIDs given. Given UIDs
   * are asked for as first:last unless `exact`: in a part of consecutive new UIDs the gaps are
   * expunged ones (new mail only gets higher UIDs), and the command stays short where 5,000
   * scattered UIDs would make it 45 KB.
   */
  async *headers(which: number | number[], exact = false): AsyncGenerator<MessageMeta> {
    if (Array.isArray(which) && which.length === 0) return;
    const mark = Array.isArray(which) ? 0 : which;
    const [lo, hi] = Array.isArray(which) ? [Math.min(...which), Math.max(...which)] : [mark + 1, Number.MAX_SAFE_INTEGER];
    const range = !Array.isArray(which) ? `${lo}:*` : exact ? uidSet(which) : `${lo}:${hi}`;
    if (!this.usable) throw new Error('connection not available');
    if (!canBorrow(this.client)) return yield* this.headersByImapflow(range, mark);
    const fields = HEADER_FIELDS.map((f) => f.toUpperCase()).join(' ');
    const command = `UID FETCH ${range} (UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (${fields})])`;
    // `n:*` returns the last message even when n is past it; a flag change may name any UID.
    const asked = Array.isArray(which) && exact ? new Set(which) : undefined;
    const wanted = (uid: number) => uid >= lo && uid <= hi && (asked === undefined || asked.has(uid));
    const complete = (items: FetchResponse['items']) => items.has('RFC822.SIZE') && items.has('INTERNALDATE') && headerKey(items) !== undefined;
    for await (const f of this.fetchRaw(command, complete)) {
      const meta = metaOfFetch(f);
      if (wanted(meta.uid)) yield meta;
    }
  }

  private async *headersByImapflow(range: string, mark: number): AsyncGenerator<MessageMeta> {
    const query = { uid: true, size: true, internalDate: true, headers: HEADER_FIELDS };
    for await (const msg of this.client.fetch(range, query, { uid: true })) {
      if (msg.uid <= mark) continue;
      yield metaOf(msg.uid, msg.size ?? 0, toDate(msg.internalDate), msg.headers);
    }
  }

  /**
   * Bodies (BODY.PEEK[]) of the given UIDs in one FETCH; the iterator holds a few messages at a time.
   * With `meta`, RFC822.SIZE and INTERNALDATE come in the same FETCH, for messages named from
   * their own bytes (a size can differ from the bytes' length on some servers; names use the size).
   * Read by rawFetch, not imapflow: at 10,000 messages imapflow's parsing took 1.3 s of CPU against
   * 0.8 s here (README "Performance"). A FETCH that fails or is left early costs the connection.
   */
  async *bodies(uids: number[], meta = false): AsyncGenerator<Body> {
    if (uids.length === 0) return;
    if (!this.usable) throw new Error('connection not available');
    if (!canBorrow(this.client)) return yield* this.bodiesByImapflow(uids, meta);
    const items = meta ? '(UID RFC822.SIZE INTERNALDATE BODY.PEEK[])' : '(UID BODY.PEEK[])';
    const complete = (i: FetchResponse['items']) => i.has('BODY[]') && (!meta || (i.has('RFC822.SIZE') && i.has('INTERNALDATE')));
    for await (const f of this.fetchRaw(`UID FETCH ${uidSet(uids)} ${items}`, complete)) {
      const body = bodyOf(f);
      if (body) yield body;
    }
  }

  /**
   * A FETCH read by rawFetch, each message once its responses carry everything `complete` asks
   * for. A server may send a message's items in several responses, in any order (RFC 9051 7.5.2):
   * they are gathered by UID (each response to a UID FETCH carries it; sequence numbers shift with
   * an EXPUNGE). What is still incomplete at the end is given as it is, as imapflow gave each
   * response; a UID already given is not given again (a later flag change names it too).
   * A FETCH that fails or is left early costs the connection.
   */
  private async *fetchRaw(command: string, complete: (items: FetchResponse['items']) => boolean): AsyncGenerator<FetchResponse> {
    const partial = new Map<number, FetchResponse>();
    const given = new Set<number>();
    let finished = false;
    try {
      for await (const f of rawFetch(this.client, command)) {
        const uid = f.items.get('UID');
        if (typeof uid !== 'number') {
          // No UID: a flag change the server reports on its own, unless it carries what was asked.
          if (complete(f.items)) yield f;
          continue;
        }
        if (given.has(uid)) continue;
        const earlier = partial.get(uid);
        if (earlier) for (const [k, v] of earlier.items) if (!f.items.has(k)) f.items.set(k, v);
        if (!complete(f.items)) {
          partial.set(uid, f);
          continue;
        }
        partial.delete(uid);
        given.add(uid);
        yield f;
      }
      finished = true;
    } finally {
      if (!finished) {
        this.closed = true;
        this.client.close();
      }
    }
    yield* partial.values();
  }

  private async *bodiesByImapflow(uids: number[], meta: boolean): AsyncGenerator<Body> {
    const query = meta ? { uid: true, source: true, size: true, internalDate: true } : { uid: true, source: true };
    for await (const msg of this.client.fetch(uidSet(uids), query, { uid: true })) {
      if (msg.source) yield { uid: msg.uid, source: msg.source, size: msg.size ?? 0, internalDate: toDate(msg.internalDate) };
    }
  }

  /** Which of these UIDs the open folder still holds, in one SEARCH. */
  async uidsIn(uids: number[]): Promise<number[]> {
    if (uids.length === 0) return [];
    const asked = new Set(uids);
    return (await this.searchUids({ uid: uidSet(uids) })).filter((uid) => asked.has(uid));
  }

  /** Of the UIDs `first:last`, those of messages larger than `bytes` (RFC822.SIZE), in one SEARCH. */
  async uidsLarger(first: number, last: number, bytes: number): Promise<number[]> {
    return (await this.searchUids({ uid: `${first}:${last}`, larger: bytes })).filter((uid) => uid >= first && uid <= last);
  }

  /** UID SEARCH, the UIDs ascending. */
  private async searchUids(query: { uid: string; larger?: number }): Promise<number[]> {
    const found = await this.client.search(query, { uid: true });
    // imapflow answers a refused SEARCH or a lost folder with false/undefined, not an error: taken
    // for "nothing there", it would move the mark past messages not yet saved.
    if (!Array.isArray(found)) throw new Error('the server did not answer UID SEARCH (connection lost or command refused)');
    return found.sort((a, b) => a - b);
  }

  /**
   * A large message's body, handed to `consume` as a stream while it arrives (body-stream.ts);
   * undefined if the server no longer has it. A FETCH that fails costs the connection; a failing
   * `consume` does not.
   */
  async streamBody<T>(uid: number, consume: (body: Readable) => Promise<T>): Promise<T | undefined> {
    if (!this.usable) throw new Error('connection not available');
    if (!canBorrow(this.client)) {
      const stream = await this.stream(uid);
      return stream ? consume(stream) : undefined;
    }
    return streamBody(this.client, uid, consume, () => {
      this.closed = true;
      this.client.close();
    });
  }

  /** A body in 1 MB partial FETCHes, by imapflow; never call inside a fetch loop (imapflow issue 284). */
  private async stream(uid: number): Promise<Readable | undefined> {
    const result = await this.client.download(String(uid), undefined, { uid: true, chunkSize: 1024 * 1024 });
    return 'content' in result ? result.content : undefined;
  }

  /** For restore: the bytes as they are, with flags and INTERNALDATE. */
  async append(path: string, raw: Buffer, flags: string[], internalDate: Date): Promise<void> {
    const stored = await this.client.append(path, raw, flags, internalDate);
    if (!stored) throw new Error(`the server did not store the message in ${path}`);
  }

  /** CREATE (an existing folder is fine) and SUBSCRIBE, so mail clients show the folder. */
  async createFolder(path: string): Promise<void> {
    await this.client.mailboxCreate(path);
    await this.client.mailboxSubscribe(path).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.client.usable) await withTimeout(this.client.logout(), 5_000);
    } catch {
      // Logging out of a broken connection may fail; closing the socket is what matters.
    } finally {
      this.client.close();
      this.closed = true;
    }
  }
}

/** Compact UID set (`1:5,7,9:12`) so one command covers any selection. */
export function uidSet(uids: number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sorted[0] ?? 0;
  let prev = start;
  for (const uid of sorted.slice(1)) {
    if (uid === prev + 1) {
      prev = uid;
      continue;
    }
    parts.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = prev = uid;
  }
  parts.push(start === prev ? `${start}` : `${start}:${prev}`);
  return parts.join(',');
}

let collatorWarm = false;
function warmCollator(): void {
  if (!collatorWarm) 'a'.localeCompare('b');
  collatorWarm = true;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref())]);
}
