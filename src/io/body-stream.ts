import type { ImapFlow } from 'imapflow';
import { Readable } from 'node:stream';
import { ownedBuffer } from './memory.js';
import { rawFetch, type FlowSinkFor } from './raw-fetch.js';
import { STREAMED } from './response-reader.js';

/** Pieces a streamed body is handed on in: what one file write takes, as imapflow's download gave. */
const PIECE = 1024 * 1024;

/**
 * One message's body (BODY.PEEK[]) in one FETCH on imapflow's connection, handed to `consume` as a
 * stream while it arrives, in 1 MB pieces: a large message is neither held whole in memory nor
 * fetched in partial FETCHes (imapflow's download(), one round trip per MB, for which a server
 * counts each piece's offset from the message's start). Returns what `consume` returned, or
 * undefined when the server sent no body (the message was deleted meanwhile).
 *
 * The body goes to `consume` as it arrives only when the response names the UID before it, as
 * Dovecot does; a server that names it after has it read whole first, then handed on. A failing
 * `consume` (a full disk) has the rest of the body read and dropped, so the connection stays in
 * step; a connection lost mid-body fails the stream, so `consume` sees an error, not a short body.
 */
export async function streamBody<T>(client: ImapFlow, uid: number, consume: (body: Readable) => Promise<T>, onFetchFailed: () => void): Promise<T | undefined> {
  let result: Promise<T> | undefined;
  let body: Readable | undefined;
  /** The body goes nowhere any more (its consumer is done or failed): the rest is read and dropped. */
  let dropping = false;
  let wakeSocket: (() => void) | undefined;
  const start = (stream: Readable): void => {
    body = stream;
    // The consumer sees the error through its own listener or pipeline; none may end the process.
    stream.on('error', () => undefined);
    result = consume(stream);
    // Its failure is thrown once the FETCH is over; a consumer that stops early must not hold the socket.
    const stop = (): void => {
      dropping = true;
      wakeSocket?.();
    };
    result.then(stop, stop);
  };
  let streamed: Readable | undefined;
  const sinkFor: FlowSinkFor = (text, size, drained) => {
    if (result !== undefined || !namesUidBeforeBody(text, uid)) return undefined;
    wakeSocket = drained;
    let piece: Buffer | undefined;
    let at = 0;
    let left = size;
    // At most three pieces per stream: one being written, one waiting, one being filled.
    const stream = new Readable({ highWaterMark: PIECE, read: drained });
    streamed = stream;
    start(stream);
    return {
      write: (bytes) => {
        if (dropping || stream.destroyed) return true;
        let room = true;
        for (let from = 0; from < bytes.length; ) {
          piece ??= ownedBuffer(Math.min(PIECE, left));
          const n = bytes.copy(piece, at, from);
          from += n;
          at += n;
          left -= n;
          if (at === piece.length) {
            room = stream.push(piece);
            piece = undefined;
            at = 0;
          }
        }
        return room;
      },
      // The stream ends only with the server's OK (below): a FETCH that fails after the body's
      // last byte fails its file too, and until then the stream's reads keep releasing the socket.
      end: () => undefined,
    };
  };
  try {
    for await (const f of rawFetch(client, `UID FETCH ${uid} (UID BODY.PEEK[])`, sinkFor)) {
      const raw = f.items.get('BODY[]');
      if (f.items.get('UID') !== uid || !Buffer.isBuffer(raw) || raw === STREAMED || result !== undefined) continue;
      start(Readable.from([raw]));
    }
  } catch (err) {
    onFetchFailed();
    // A body cut short must not reach its file as if it were whole.
    body?.destroy(err as Error);
    await result?.catch(() => undefined);
    throw err;
  }
  if (streamed && !dropping && !streamed.destroyed) streamed.push(null);
  return result === undefined ? undefined : await result;
}

/** `* n FETCH (… UID <uid> … BODY[] {size}`: the literal about to come is this message's body. */
function namesUidBeforeBody(text: string, uid: number): boolean {
  const m = /^\* \d+ FETCH \((.*)\bBODY\[\](?:<0>)? ~?\{\d+\+?\}$/i.exec(text);
  // Lists (FLAGS) set aside: a keyword could read "UID 12".
  const items = m?.[1]?.replace(/\([^()]*\)/g, '()');
  return items !== undefined && new RegExp(`(?:^|[ (])UID ${uid}(?:[ )]|$)`, 'i').test(items);
}
