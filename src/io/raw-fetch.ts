import type { ImapFlow } from 'imapflow';
import type { Readable, Writable } from 'node:stream';
import { parseFetch, type FetchResponse } from './fetch-items.js';
import { ResponseReader, type Response } from './response-reader.js';

/**
 * Takes a literal as it arrives (see SinkFor in response-reader.ts). `write` returning false holds
 * the socket until the sink calls `drained`: a slow disk slows the server, not the memory.
 */
export type FlowSinkFor = (text: string, size: number, drained: () => void) => { write(bytes: Buffer): boolean; end(): void } | undefined;

/** The parts of imapflow a raw command borrows: its socket (inflated if compressed) and its writer. */
interface Borrowed {
  socket: Readable;
  _inflate?: Readable | null;
  streamer: Writable;
  write(line: string): void;
  /** imapflow's socket timeout takes a quiet socket for this side's doing while it is set. */
  _processingResponse: boolean;
  armSocketTimeout(socket: Readable): void;
}

/**
 * Whether imapflow's reader is fed as rawFetch expects: piped from the socket (or the inflater).
 * If a later imapflow reads another way, bodies are fetched through imapflow instead.
 */
export function canBorrow(client: ImapFlow): boolean {
  const c = client as unknown as Partial<Borrowed>;
  const from = (c._inflate ?? c.socket) as (Readable & { _readableState?: { pipes?: unknown[] } }) | undefined;
  return typeof c.write === 'function' && typeof c.armSocketTimeout === 'function' && c.streamer !== undefined
    && from?._readableState?.pipes?.length === 1 && from._readableState.pipes[0] === c.streamer;
}

/** Above this many bytes of fetched messages not yet taken, the socket is paused. */
const HIGH_WATER = 8 * 1024 * 1024;
let tags = 0;

/**
 * Runs one FETCH on imapflow's connection and reads the answer itself, yielding each FETCH
 * response with its literals as Buffers. imapflow's reader is unhooked from the socket for the
 * time of the command and hooked again after the tagged reply, with any bytes read past it.
 * Only for a connection no other command is using; untagged responses other than FETCH (EXISTS,
 * EXPUNGE) are not passed on: a later EXAMINE resets what imapflow knows of the folder.
 */
export async function* rawFetch(client: ImapFlow, command: string, sinkFor?: FlowSinkFor): AsyncGenerator<FetchResponse> {
  const c = client as unknown as Borrowed;
  const from = c._inflate ?? c.socket;
  const tag = `X${++tags}`;
  const queue: { f: FetchResponse; bytes: number }[] = [];
  let queued = 0;
  let failure: Error | undefined;
  let done = false;
  /** A sink asked to hold the socket. */
  let held = false;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const tagged = `${tag} `;
  const reader = new ResponseReader((r: Response) => {
    if (r.text.startsWith(tagged)) {
      reader.stop();
      done = true;
      if (!/^\S+ OK/i.test(r.text)) failure = new Error(`the server refused FETCH: ${r.text.slice(tag.length + 1, 300)}`);
      return;
    }
    if (/^\* BYE/i.test(r.text)) throw new Error(`the server closed the connection: ${r.text.slice(6, 300)}`);
    const f = parseFetch(r);
    if (f === undefined) return;
    let bytes = 0;
    for (const l of r.literals) bytes += l.length;
    queue.push({ f, bytes });
    queued += bytes;
  }, undefined, sinkFor && ((text, size) => {
    const sink = sinkFor(text, size, () => {
      held = false;
      resumeIfRoom();
    });
    return sink && {
      write: (bytes: Buffer) => {
        if (!sink.write(bytes)) held = true;
      },
      end: () => {
        // A sink holds the socket for its own bytes only: what follows the literal is the reader's.
        held = false;
        sink.end();
      },
    };
  }));
  // While the socket is held paused for a slow reader, its quiet is ours, as imapflow's own fetch
  // tells its socket timeout: the timeout must not close a connection that is only waiting for us.
  const pause = (): void => {
    from.pause();
    c._processingResponse = true;
  };
  const resume = (): void => {
    c._processingResponse = false;
    c.armSocketTimeout(c.socket);
    from.resume();
  };
  /** The socket goes on once neither the queue nor a sink is full, unless the command is over. */
  const resumeIfRoom = (): void => {
    if (queued <= HIGH_WATER && !held && from.isPaused() && !done && !failure) resume();
  };

  const onData = (chunk: Buffer): void => {
    try {
      const used = reader.push(chunk);
      if (done) giveBack(chunk.subarray(used));
      else if ((queued > HIGH_WATER || held) && !from.isPaused()) pause();
    } catch (err) {
      failure = err as Error;
      unhook();
      c.socket.destroy();
    }
    // Most reads (TLS records of 4 KB from Dovecot) complete no response: the loop below is woken
    // only when there is something for it, not once per read (a promise and a closure each).
    if (queue.length > 0 || done || failure) settle();
  };
  const onEnd = (): void => {
    failure ??= new Error('the connection closed during FETCH');
    settle();
  };
  const unhook = (): void => {
    from.removeListener('data', onData);
    from.removeListener('end', onEnd);
    from.removeListener('close', onEnd);
  };
  const giveBack = (rest: Buffer): void => {
    unhook();
    from.pause();
    c._processingResponse = false;
    if (rest.length > 0) c.streamer.write(rest);
    from.pipe(c.streamer);
  };

  from.unpipe(c.streamer);
  from.on('data', onData);
  from.once('end', onEnd);
  from.once('close', onEnd);
  // unpipe() left the socket paused, and a 'data' listener does not undo an explicit pause.
  from.resume();
  try {
    c.write(`${tag} ${command}`);
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        queued -= next.bytes;
        resumeIfRoom();
        yield next.f;
        continue;
      }
      if (failure) throw failure;
      if (done) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    c._processingResponse = false;
    if (!done && !failure) {
      // The caller stopped early: the rest of the answer cannot be handed back, so the connection goes.
      unhook();
      c.socket.destroy();
    }
    // A sink's late call to resume must find the command over.
    done = true;
  }
}
