/**
 * The byte layout of a ZIP archive (PKWARE APPNOTE 6.3), as this tool writes it: UTF-8 names,
 * Unix modes, DOS time plus the Unix timestamp ("UT") extra, and ZIP64 fields exactly where a
 * size, an offset or the entry count does not fit 32 (16) bits. Pure functions, no I/O.
 */

export interface ZipEntryRecord {
  /** UTF-8 bytes of the entry name, '/'-separated. */
  name: Buffer;
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  crc32: number;
  size: number;
  compressedSize: number;
  /** Offset of the entry's local header in the archive. */
  offset: number;
  mtime: Date;
  /** Dates past 2038 go as DOS time only: the 32-bit Unix timestamp cannot hold them. */
  dosTimeOnly: boolean;
  /** Unix mode, e.g. 0o100600. */
  mode: number;
  /**
   * Sizes as ZIP64 in both headers. Needed from 4 GiB; a streamed entry decides before its size is
   * known, so it sets this when it might get there, and the central record must then agree.
   */
  zip64: boolean;
}

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Unix (3) in the high byte, APPNOTE 6.3 in the low byte, as Info-ZIP writes it. */
const VERSION_MADE_BY = (3 << 8) | 63;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
const FLAG_UTF8 = 0x0800;
/** Local ZIP64 extra: both sizes, 8 bytes each, after a 4-byte extra header. */
export const LOCAL_ZIP64_EXTRA = 20;
export const LOCAL_HEADER_FIXED = 30;

export function needsZip64(size: number, compressedSize: number): boolean {
  return size >= MAX32 || compressedSize >= MAX32;
}

/**
 * Whether a streamed entry of `size` bytes takes ZIP64 sizes, decided before it is compressed:
 * deflate can grow incompressible data by a few bytes per 16 KB, so a margin below 4 GiB.
 */
export function streamNeedsZip64(size: number): boolean {
  return size >= MAX32 - 64 * 1024 * 1024;
}

/**
 * The local header. With `zip64` the 32-bit size fields say 0xffffffff and the sizes sit in a
 * ZIP64 extra placed first, at LOCAL_HEADER_FIXED + name length, so a streamed entry can have its
 * CRC and sizes written into the header afterwards (see `localSizes`).
 */
export function localHeader(e: ZipEntryRecord): Buffer {
  const zip64 = e.zip64;
  const ut = unixTimeExtra(e);
  const extraLength = (zip64 ? LOCAL_ZIP64_EXTRA : 0) + ut.length;
  const b = Buffer.alloc(LOCAL_HEADER_FIXED + e.name.length + extraLength);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 4);
  b.writeUInt16LE(FLAG_UTF8, 6);
  b.writeUInt16LE(e.method, 8);
  const { time, date } = dosDateTime(e.mtime);
  b.writeUInt16LE(time, 10);
  b.writeUInt16LE(date, 12);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(extraLength, 28);
  e.name.copy(b, LOCAL_HEADER_FIXED);
  let at = LOCAL_HEADER_FIXED + e.name.length;
  if (zip64) {
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(16, at + 2);
    at += LOCAL_ZIP64_EXTRA;
  }
  ut.copy(b, at);
  localSizes(e).forEach(([pos, value]) => (typeof value === 'bigint' ? b.writeBigUInt64LE(value, pos) : b.writeUInt32LE(value, pos)));
  return b;
}

/** Where in the local header the CRC and sizes go, and their values: written once they are known. */
export function localSizes(e: ZipEntryRecord): [number, number | bigint][] {
  const extra = LOCAL_HEADER_FIXED + e.name.length;
  const fields: [number, number | bigint][] = [[14, e.crc32 >>> 0]];
  if (!e.zip64) return [...fields, [18, e.compressedSize], [22, e.size]];
  return [...fields, [18, MAX32], [22, MAX32], [extra + 4, BigInt(e.size)], [extra + 12, BigInt(e.compressedSize)]];
}

/** Only the fields that overflow go to the central record's ZIP64 extra, in this order (APPNOTE 4.5.3). */
function centralZip64(e: ZipEntryRecord): number[] {
  const big: number[] = e.zip64 ? [e.size, e.compressedSize] : [];
  if (e.offset >= MAX32) big.push(e.offset);
  return big;
}

export function centralRecordSize(e: ZipEntryRecord): number {
  const big = centralZip64(e).length;
  return 46 + e.name.length + (big ? 4 + 8 * big : 0) + (e.dosTimeOnly ? 0 : UNIX_TIME_EXTRA);
}

export function centralRecord(e: ZipEntryRecord): Buffer {
  const b = Buffer.alloc(centralRecordSize(e));
  writeCentralRecord(e, b, 0);
  return b;
}

/**
 * Writes the central record into `b` at `start` (room: `centralRecordSize`) and returns where it
 * ends: the writer packs 100,000 of them into one buffer instead of allocating each.
 */
export function writeCentralRecord(e: ZipEntryRecord, b: Buffer, start: number): number {
  const big = centralZip64(e);
  const zip64Length = big.length ? 4 + 8 * big.length : 0;
  const utLength = e.dosTimeOnly ? 0 : UNIX_TIME_EXTRA;
  b.fill(0, start, start + 46);
  b.writeUInt32LE(0x02014b50, start);
  b.writeUInt16LE(VERSION_MADE_BY, start + 4);
  b.writeUInt16LE(big.length ? VERSION_ZIP64 : VERSION_DEFAULT, start + 6);
  b.writeUInt16LE(FLAG_UTF8, start + 8);
  b.writeUInt16LE(e.method, start + 10);
  const { time, date } = dosDateTime(e.mtime);
  b.writeUInt16LE(time, start + 12);
  b.writeUInt16LE(date, start + 14);
  b.writeUInt32LE(e.crc32 >>> 0, start + 16);
  b.writeUInt32LE(e.zip64 ? MAX32 : e.compressedSize, start + 20);
  b.writeUInt32LE(e.zip64 ? MAX32 : e.size, start + 24);
  b.writeUInt16LE(e.name.length, start + 28);
  b.writeUInt16LE(zip64Length + utLength, start + 30);
  b.writeUInt32LE(((e.mode & 0xffff) << 16) >>> 0, start + 38);
  b.writeUInt32LE(Math.min(e.offset, MAX32), start + 42);
  e.name.copy(b, start + 46);
  let at = start + 46 + e.name.length;
  if (big.length) {
    b.writeUInt16LE(0x0001, at);
    b.writeUInt16LE(8 * big.length, at + 2);
    big.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), at + 4 + 8 * i));
    at += zip64Length;
  }
  if (utLength) at = writeUnixTime(e, b, at);
  return at;
}

/** The end records: ZIP64 end record and locator first when the count, size or offset overflow. */
export function endRecords(entries: number, cdOffset: number, cdSize: number): Buffer {
  const zip64 = entries >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Math.min(entries, MAX16), 8);
  eocd.writeUInt16LE(Math.min(entries, MAX16), 10);
  eocd.writeUInt32LE(Math.min(cdSize, MAX32), 12);
  eocd.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
  if (!zip64) return eocd;
  const record = Buffer.alloc(56 + 20);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(VERSION_MADE_BY, 12);
  record.writeUInt16LE(VERSION_ZIP64, 14);
  record.writeBigUInt64LE(BigInt(entries), 24);
  record.writeBigUInt64LE(BigInt(entries), 32);
  record.writeBigUInt64LE(BigInt(cdSize), 40);
  record.writeBigUInt64LE(BigInt(cdOffset), 48);
  // The locator: where the ZIP64 end record starts (right after the central directory), 1 disk.
  record.writeUInt32LE(0x07064b50, 56);
  record.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64);
  record.writeUInt32LE(1, 72);
  return Buffer.concat([record, eocd]);
}

/** DOS date and time in local time, as ZIP readers interpret them; 2-second resolution. */
export function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

const UNIX_TIME_EXTRA = 9;

function unixTimeExtra(e: ZipEntryRecord): Buffer {
  if (e.dosTimeOnly) return Buffer.alloc(0);
  const b = Buffer.alloc(UNIX_TIME_EXTRA);
  writeUnixTime(e, b, 0);
  return b;
}

/** The "UT" extra with the modification time only. */
function writeUnixTime(e: ZipEntryRecord, b: Buffer, at: number): number {
  b.writeUInt16LE(0x5455, at);
  b.writeUInt16LE(5, at + 2);
  b.writeUInt8(1, at + 4);
  b.writeUInt32LE(Math.max(0, Math.floor(e.mtime.getTime() / 1000)) >>> 0, at + 5);
  return at + UNIX_TIME_EXTRA;
}
