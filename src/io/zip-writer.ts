import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { centralRecord, endRecords, localHeader, localSizes, needsZip64, streamNeedsZip64, type ZipEntryRecord } from './zip-format.js';
import { droppedBuffer } from './memory.js';

export interface EntryMeta {
  name: string;
  mtime: Date;
  dosTimeOnly: boolean;
  mode: number;
}

export interface CompressedEntry {
  meta: EntryMeta;
  method: 0 | 8;
  crc32: number;
  size: number;
  data: Uint8Array;
}

/**
 * Appends entries to a new file at known positions and ends it with the central directory and
 * the end records (ZIP64 where needed). The central directory is kept as packed bytes, about
 * 150 bytes an entry, not as an object per entry. Nothing is buffered across calls: each call's
 * data is on its way to the file when it returns.
 */
export class ZipWriter {
  private position = 0;
  private count = 0;
  private readonly central = new ByteStore();

  private constructor(private readonly handle: fs.promises.FileHandle) {}

  static async open(file: string): Promise<ZipWriter> {
    return new ZipWriter(await fs.promises.open(file, 'w', 0o600));
  }

  /** Entries compressed elsewhere: headers and data go out in one write. */
  async addCompressed(entries: CompressedEntry[]): Promise<void> {
    const buffers: Uint8Array[] = [];
    let at = this.position;
    const records: ZipEntryRecord[] = [];
    for (const e of entries) {
      const rec = this.record(e.meta, { method: e.method, crc32: e.crc32, size: e.size, compressedSize: e.data.length, offset: at, zip64: needsZip64(e.size, e.data.length) });
      const header = localHeader(rec);
      buffers.push(header, e.data);
      at += header.length + e.data.length;
      records.push(rec);
    }
    await writeAll(this.handle, buffers, this.position);
    droppedBuffer(at - this.position);
    this.position = at;
    for (const rec of records) this.central.push(centralRecord(rec));
    this.count += records.length;
  }

  /**
   * A large file, streamed through deflate (zlib's thread pool) with its CRC taken on the way;
   * CRC and sizes are written into its local header afterwards. Returns the CRC-32.
   */
  async addStream(meta: EntryMeta, size: number, source: Readable, level: number, signal?: AbortSignal): Promise<number> {
    const rec = this.record(meta, { method: level > 0 ? 8 : 0, crc32: 0, size, compressedSize: 0, offset: this.position, zip64: streamNeedsZip64(size) });
    const header = localHeader(rec);
    await writeAll(this.handle, [header], this.position);
    this.position += header.length;
    let crc = 0;
    let read = 0;
    const dataStart = this.position;
    async function* tap(chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        crc = zlib.crc32(chunk, crc);
        read += chunk.length;
        yield chunk;
      }
    }
    const sink = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) {
        await writeAll(this.handle, [chunk], this.position);
        this.position += chunk.length;
      }
    };
    if (rec.method === 8) await pipeline(source, tap, zlib.createDeflateRaw({ level, chunkSize: 256 * 1024 }), sink, { signal });
    else await pipeline(source, tap, sink, { signal });
    if (read !== size) throw Object.assign(new Error(`${meta.name} changed while it was being archived`), { code: 'ECHANGED' });
    Object.assign(rec, { crc32: crc >>> 0, compressedSize: this.position - dataStart });
    if (!rec.zip64 && needsZip64(rec.size, rec.compressedSize)) throw new Error(`${meta.name} grew past 4 GiB when compressed`);
    for (const [pos, value] of localSizes(rec)) {
      const b = Buffer.alloc(typeof value === 'bigint' ? 8 : 4);
      if (typeof value === 'bigint') b.writeBigUInt64LE(value);
      else b.writeUInt32LE(value);
      await writeAll(this.handle, [b], rec.offset + pos);
    }
    this.central.push(centralRecord(rec));
    this.count++;
    droppedBuffer(size);
    return rec.crc32;
  }

  /** Writes the central directory and end records, flushes the file to disk, closes it. */
  async finish(): Promise<number> {
    const cdOffset = this.position;
    const cdSize = this.central.length;
    const end = endRecords(this.count, cdOffset, cdSize);
    await writeAll(this.handle, [...this.central.chunks(), end], cdOffset);
    this.position += cdSize + end.length;
    await this.handle.sync();
    await this.handle.close();
    return this.position;
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  private record(meta: EntryMeta, data: Pick<ZipEntryRecord, 'method' | 'crc32' | 'size' | 'compressedSize' | 'offset' | 'zip64'>): ZipEntryRecord {
    return { name: Buffer.from(meta.name, 'utf8'), mtime: meta.mtime, dosTimeOnly: meta.dosTimeOnly, mode: meta.mode, ...data };
  }
}

async function writeAll(handle: fs.promises.FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let rest = buffers.filter((b) => b.length > 0);
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    if (bytesWritten === 0) throw Object.assign(new Error('the disk accepted no more data'), { code: 'ENOSPC' });
    at += bytesWritten;
    // A short write: drop what went out and go on with the remainder.
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= (rest[0] as Uint8Array).length) skip -= (rest.shift() as Uint8Array).length;
    if (skip > 0) rest[0] = (rest[0] as Uint8Array).subarray(skip);
  }
}

const STORE_CHUNK = 1024 * 1024;

/** Append-only bytes in 1 MiB chunks: no object per record, no copying when it grows. */
class ByteStore {
  private readonly full: Buffer[] = [];
  private current = Buffer.allocUnsafe(STORE_CHUNK);
  private used = 0;
  length = 0;

  push(b: Buffer): void {
    if (this.used + b.length > this.current.length) {
      this.full.push(this.current.subarray(0, this.used));
      this.current = Buffer.allocUnsafe(Math.max(STORE_CHUNK, b.length));
      this.used = 0;
    }
    b.copy(this.current, this.used);
    this.used += b.length;
    this.length += b.length;
  }

  chunks(): Buffer[] {
    return [...this.full, this.current.subarray(0, this.used)];
  }
}
