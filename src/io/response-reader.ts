import { ownedBuffer } from './memory.js';

/** One IMAP response: its text, with each literal cut out (marked by its `{n}`, as sent). */
export interface Response {
  text: string;
  literals: Buffer[];
}

/** Takes a literal's bytes as they arrive, in order, instead of the reader holding them whole. */
export interface LiteralSink {
  write(bytes: Buffer): void;
  end(): void;
}

/**
 * Offered each literal as it starts, with the response's text so far (ending in its `{n}`):
 * a sink takes it, undefined leaves it to the reader.
 */
export type SinkFor = (text: string, size: number) => LiteralSink | undefined;

/**
 * Stands in, among a response's literals, for one handed to a sink. Empty, so code that does not
 * look for it sees an empty value, never another message's bytes.
 */
export const STREAMED: Buffer = Buffer.alloc(0);

const CR = 0x0d;
const LF = 0x0a;

/**
 * Splits a server's byte stream into IMAP responses: each is its text (latin1, so no byte is
 * changed) with every literal kept as a Buffer. A literal that arrives in one chunk is a view of
 * that chunk, not a copy; one split over chunks is copied once into a Buffer of its exact size.
 * Used for the FETCH of bodies and header fields (raw-fetch.ts), where imapflow's per-response
 * objects cost more CPU than the bytes themselves.
 */
export class ResponseReader {
  private line: Buffer[] = [];
  private lineBytes = 0;
  private text = '';
  private literals: Buffer[] = [];
  private literal: Buffer | undefined;
  private literalAt = 0;
  private sink: LiteralSink | undefined;
  /** Bytes still owed to the literal being read; -1 while reading a line. */
  private owed = -1;

  private stopped = false;

  constructor(private readonly onResponse: (r: Response) => void, private readonly maxLine = 1024 * 1024, private readonly sinkFor?: SinkFor) {}

  /** Feeds a chunk; returns how much of it was read: all of it unless `stop()` was called. */
  push(chunk: Buffer): number {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      if (this.owed >= 0) at = this.readLiteral(chunk, at);
      else at = this.readLine(chunk, at);
    }
    return at;
  }

  /** Called from `onResponse`: the bytes after this response are not read (they belong to imapflow). */
  stop(): void {
    this.stopped = true;
  }

  private readLiteral(chunk: Buffer, at: number): number {
    const take = Math.min(this.owed, chunk.length - at);
    if (this.sink !== undefined) {
      this.sink.write(chunk.subarray(at, at + take));
      this.owed -= take;
      if (this.owed === 0) {
        const sink = this.sink;
        this.sink = undefined;
        this.owed = -1;
        this.literals.push(STREAMED);
        sink.end();
      }
      return at + take;
    }
    if (this.literal === undefined) {
      if (take === this.owed) {
        this.literals.push(chunk.subarray(at, at + take));
        this.owed = -1;
        return at + take;
      }
      // A Buffer of its own (not from the shared pool) so a saved message holds no other bytes,
      // and it can be freed as soon as it is written.
      this.literal = ownedBuffer(this.owed);
      this.literalAt = 0;
    }
    chunk.copy(this.literal, this.literalAt, at, at + take);
    this.literalAt += take;
    this.owed -= take;
    if (this.owed === 0) {
      this.literals.push(this.literal);
      this.literal = undefined;
      this.owed = -1;
    }
    return at + take;
  }

  private readLine(chunk: Buffer, at: number): number {
    const end = chunk.indexOf(LF, at);
    if (end < 0) {
      this.line.push(chunk.subarray(at));
      this.lineBytes += chunk.length - at;
      if (this.lineBytes > this.maxLine) throw new Error(`the server sent a line longer than ${this.maxLine} bytes`);
      return chunk.length;
    }
    let part: string;
    if (this.line.length === 0) {
      // The whole line in this chunk, as nearly always: read where it is.
      let stop = end;
      if (stop > at && chunk[stop - 1] === CR) stop--;
      part = chunk.toString('latin1', at, stop);
    } else {
      this.line.push(chunk.subarray(at, end + 1));
      const bytes = Buffer.concat(this.line);
      this.line.length = 0;
      this.lineBytes = 0;
      let stop = bytes.length - 1;
      if (stop > 0 && bytes[stop - 1] === CR) stop--;
      part = bytes.toString('latin1', 0, stop);
    }
    this.text += part;
    const size = literalSize(part);
    if (size >= 0) {
      this.owed = size;
      if (size > 0) this.sink = this.sinkFor?.(this.text, size);
      if (size === 0) {
        this.literals.push(Buffer.alloc(0));
        this.owed = -1;
      }
    } else {
      const r: Response = { text: this.text, literals: this.literals };
      this.text = '';
      this.literals = [];
      this.onResponse(r);
    }
    return end + 1;
  }
}

/** The size of the literal a line announces at its end (`{n}`, `{n+}`, `~{n}`), or -1. */
export function literalSize(line: string): number {
  if (line.charCodeAt(line.length - 1) !== 0x7d) return -1;
  const open = line.lastIndexOf('{');
  if (open < 0) return -1;
  const digits = line.slice(open + 1, line.endsWith('+}') ? -2 : -1);
  return /^\d{1,15}$/.test(digits) ? Number(digits) : -1;
}
