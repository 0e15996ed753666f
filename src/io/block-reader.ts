import fs from 'node:fs';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { droppedBuffer, expectItems } from './memory.js';

const BLOCK = 1024 * 1024;
const CACHED_BLOCKS = 8;
const CHUNK = 256 * 1024;

/**
 * A yauzl reader that serves its many small reads (two per central-directory record, one per
 * local header, the data of small entries) from 1 MiB blocks read once. yauzl's own file reader
 * sends each to the thread pool, which made reading back 70,000 small entries take seconds.
 */
export class BlockReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(private readonly fd: number, private readonly size: number) {
    super();
  }

  /** A plain descriptor, not a FileHandle: a FileHandle would be closed when collected. */
  static open(file: string): Promise<BlockReader> {
    return new Promise((resolve, reject) => {
      fs.open(file, 'r', (err, fd) => {
        if (err) return reject(err);
        fs.fstat(fd, (statErr, st) => {
          if (statErr) return fs.close(fd, () => reject(statErr));
          resolve(new BlockReader(fd, st.size));
        });
      });
    });
  }

  get fileSize(): number {
    return this.size;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.copy(buffer, offset, length, position).then(() => callback(null), (err: Error) => callback(err));
  }

  /** Through the block cache too; never an fs stream, whose destroy() would close the shared descriptor. */
  override _readStreamForRange(start: number, end: number): Readable {
    const reader = this;
    let at = start;
    return new Readable({
      highWaterMark: CHUNK,
      read: function (this: Readable) {
        if (at >= end) return void this.push(null);
        reader.slice(at, Math.min(CHUNK, end - at)).then((chunk) => {
          at += chunk.length;
          this.push(chunk);
        }, (err: Error) => this.destroy(err));
      },
    });
  }

  override close(callback: (err: Error | null) => void): void {
    fs.close(this.fd, (err) => callback(err ?? null));
  }

  /** Up to `length` bytes at `position`, without copying when they lie in one block. */
  private async slice(position: number, length: number): Promise<Buffer> {
    const blockStart = position - (position % BLOCK);
    const block = await this.block(blockStart);
    const from = position - blockStart;
    if (from >= block.length) throw new Error(`unexpected end of the archive at byte ${position}`);
    return block.subarray(from, Math.min(block.length, from + length));
  }

  private async copy(buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    let done = 0;
    while (done < length) {
      const at = position + done;
      const blockStart = at - (at % BLOCK);
      const block = await this.block(blockStart);
      const from = at - blockStart;
      const n = Math.min(length - done, block.length - from);
      if (n <= 0) throw new Error(`unexpected end of the archive at byte ${at}`);
      block.copy(buffer, offset + done, from, from + n);
      done += n;
    }
  }

  private block(start: number): Promise<Buffer> {
    let block = this.blocks.get(start);
    if (block) {
      // Most recently used last, so the oldest is dropped first.
      this.blocks.delete(start);
      this.blocks.set(start, block);
      return block;
    }
    block = new Promise<Buffer>((resolve, reject) => {
      const buf = Buffer.allocUnsafe(Math.min(BLOCK, this.size - start));
      fs.read(this.fd, buf, 0, buf.length, start, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n))));
    });
    this.blocks.set(start, block);
    if (this.blocks.size > CACHED_BLOCKS) {
      this.blocks.delete(this.blocks.keys().next().value as number);
      droppedBuffer(BLOCK);
    }
    return block;
  }
}

/** A ZIP read through the block cache, entries on demand; shared by `verify` and `restore`. */
export async function openZip(zipPath: string): Promise<yauzl.ZipFile> {
  const reader = await BlockReader.open(zipPath);
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(reader, reader.fileSize, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, zip) => {
      if (err || !zip) {
        reader.close(() => undefined);
        return reject(err ?? new Error('cannot open'));
      }
      // Errors go to whoever waits for an entry or a read; none may end the process meanwhile.
      zip.on('error', () => undefined);
      expectItems(zip.entryCount);
      resolve(zip);
    });
  });
}

/** The next entry of a lazily read ZIP, or undefined at the end. */
export function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = () => zip.removeListener('entry', onEntry).removeListener('end', onEnd).removeListener('error', onError);
    const onEntry = (e: yauzl.Entry) => (done(), resolve(e));
    const onEnd = () => (done(), resolve(undefined));
    const onError = (err: Error) => (done(), reject(err));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}
