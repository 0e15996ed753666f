import type { ImapFlow } from 'imapflow';
import { Readable } from 'node:stream';
import { ownedBuffer } from './memory.js';
import { rawFetch, type FlowSinkFor } from './raw-fetch.js';
import { STREAMED } from './response-reader.js';

/** Pieces a streamed body is handed on in: what one file write takes, as imapflow's download gave. */
const PIECE = 1024 * 1024;

/** One body handed to `consume`: the stream, what `consume` makes of it, and whether it is this message's for sure. */
interface Attempt<T> {
  stream: Readable;
  result: Promise<T>;
  /** Streamed as it arrives (else read whole first). */
  streamed: boolean;
  /** The UID came before the body, or after it and was the one asked for. */
  confirmed: boolean;
  /** The body goes nowhere any more (its consumer is done or failed): the rest is read and dropped. */
  dropping: boolean;
  wakeSocket?: () => void;
}

/**
 * One message's body (BODY.PEEK[]) in one FETCH on imapflow's connection, handed to `consume` as a
 * stream while it arrives, in 1 MB pieces: a large message is neither held whole in memory nor
 * fetched in partial FETCHes (imapflow's download(), one round trip per MB, for which a server
 * counts each piece's offset from the message's start). Returns what `consume` returned, or
 * undefined when the server sent no body (the message was deleted meanwhile).
 *
 * A body whose response names no UID before it (a server may put the UID last) is streamed as
 * well, on trust: it ends only once the UID after it is the one asked for, and a body that turns
 * out to be another message's fails its consumer, so its file never gets its final name, and the
 * next body is taken. A failing `consume` (a full disk) has the rest of the body read and dropped,
 * so the connection stays in step; a connection lost mid-body fails the stream, so `consume` sees
 * an error, not a short body.
 */
export async function streamBody<T>(client: ImapFlow, uid: number, consume: (body: Readable) => Promise<T>, onFetchFailed: () => void): Promise<T | undefined> {
  let current: Attempt<T> | undefined;
  const begin = (stream: Readable, streamed: boolean, confirmed: boolean, wakeSocket?: () => void): Attempt<T> => {
    // The consumer sees the error through its own listener or pipeline; none may end the process.
    stream.on('error', () => undefined);
    const a: Attempt<T> = { stream, result: consume(stream), streamed, confirmed, dropping: false, wakeSocket };
    // Its failure is thrown once the FETCH is over; a consumer that stops early must not hold the socket.
    const stop = (): void => {
      a.dropping = true;
      a.wakeSocket?.();
    };
    a.result.then(stop, stop);
    current = a;
    return a;
  };
  const sinkFor: FlowSinkFor = (text, size, drained) => {
    const named = uidBeforeBody(text);
    if (current !== undefined || named === null || (named !== undefined && named !== uid)) return undefined;
    let piece: Buffer | undefined;
    let at = 0;
    let left = size;
    // At most three pieces per stream: one being written, one waiting, one being filled.
    const stream = new Readable({ highWaterMark: PIECE, read: drained });
    const a = begin(stream, true, named === uid, drained);
    return {
      write: (bytes) => {
        if (a.dropping || stream.destroyed) return true;
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
  /** The error of a consumer that failed of itself on a body that then proved another message's. */
  let consumerFailure: { error: unknown } | undefined;
  try {
    for await (const f of rawFetch(client, `UID FETCH ${uid} (UID BODY.PEEK[])`, sinkFor)) {
      const raw = f.items.get('BODY[]');
      if (!Buffer.isBuffer(raw)) continue;
      if (raw === STREAMED) {
        // The streamed body's response, now whole: its UID says whose body it was.
        if (current === undefined) continue;
        if (f.items.get('UID') === uid) {
          current.confirmed = true;
          continue;
        }
        const wrong = current;
        const notThis = new Error(`the server sent the body of another message (UID ${String(f.items.get('UID') ?? 'not given')}) when asked for UID ${uid}`);
        wrong.dropping = true;
        wrong.stream.destroy(notThis);
        await wrong.result.catch((error: unknown) => {
          // A consumer that failed of itself (a full disk) is not to be told apart from a deleted message.
          if (error !== notThis) consumerFailure ??= { error };
        });
        // Only now: a body that arrived meanwhile was read whole (below), not begun on trust in its place.
        current = undefined;
        continue;
      }
      if (f.items.get('UID') !== uid || current !== undefined) continue;
      begin(Readable.from([raw]), false, true);
    }
  } catch (err) {
    onFetchFailed();
    // A body cut short must not reach its file as if it were whole.
    current?.stream.destroy(err as Error);
    await current?.result.catch(() => undefined);
    throw err;
  }
  const a = current as Attempt<T> | undefined;
  if (a === undefined) {
    if (consumerFailure) throw consumerFailure.error;
    return undefined;
  }
  if (a.streamed && !a.dropping && !a.stream.destroyed) {
    if (a.confirmed) a.stream.push(null);
    else a.stream.destroy(new Error(`the server's answer did not confirm which message the body it sent for UID ${uid} is`));
  }
  return await a.result;
}

/**
 * For `* n FETCH (… BODY[] {size}`, the response's literal about to come is a message's body: the
 * UID named before it, or undefined if none is. null for any other literal.
 */
function uidBeforeBody(text: string): number | null | undefined {
  const m = /^\* \d+ FETCH \((.*)\bBODY\[\](?:<0>)? ~?\{\d+\+?\}$/i.exec(text);
  if (!m) return null;
  // Lists (FLAGS) set aside: a keyword could read "UID 12".
  const items = (m[1] ?? '').replace(/\([^()]*\)/g, '()');
  const named = /(?:^|[ (])UID (\d+)(?:[ )]|$)/i.exec(items);
  return named ? Number(named[1]) : undefined;
}
