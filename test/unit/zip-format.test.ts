import { describe, expect, it } from 'vitest';
import { centralRecord, dosDateTime, endRecords, localHeader, localSizes, streamNeedsZip64, type ZipEntryRecord } from '../../src/io/zip-format.js';

const GiB4 = 0x1_0000_0000;
const entry = (over: Partial<ZipEntryRecord> = {}): ZipEntryRecord => ({
  name: Buffer.from('box@example.org/INBOX/a.eml'),
  method: 8,
  crc32: 0xdeadbeef,
  size: 1000,
  compressedSize: 400,
  offset: 0,
  mtime: new Date(2024, 4, 10, 2, 3, 4),
  dosTimeOnly: false,
  mode: 0o100600,
  zip64: false,
  ...over,
});

/** The ZIP64 extra (0x0001) of a record's extra field, as 64-bit values. */
function zip64Values(extra: Buffer): number[] {
  for (let at = 0; at + 4 <= extra.length; at += 4 + extra.readUInt16LE(at + 2)) {
    if (extra.readUInt16LE(at) !== 1) continue;
    const n = extra.readUInt16LE(at + 2) / 8;
    return Array.from({ length: n }, (_, i) => Number(extra.readBigUInt64LE(at + 4 + 8 * i)));
  }
  return [];
}
const centralExtra = (b: Buffer) => b.subarray(46 + b.readUInt16LE(28), 46 + b.readUInt16LE(28) + b.readUInt16LE(30));

describe('zip format', () => {
  it.each([
    [new Date(1980, 0, 1, 0, 0, 0), 0, (0 << 9) | (1 << 5) | 1],
    [new Date(2024, 4, 10, 2, 3, 4), (2 << 11) | (3 << 5) | 2, (44 << 9) | (5 << 5) | 10],
    [new Date(2107, 11, 31, 23, 59, 59), (23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31],
  ])('DOS date and time of %s', (d, time, date) => {
    expect(dosDateTime(d)).toEqual({ time, date });
  });

  it.each([
    ['small entry', entry(), [], 20],
    ['offset past 4 GiB: only the offset', entry({ offset: GiB4 + 5 }), [GiB4 + 5], 45],
    ['zip64 sizes: both sizes', entry({ zip64: true, size: GiB4 + 1, compressedSize: 7 }), [GiB4 + 1, 7], 45],
    ['zip64 sizes and offset, in APPNOTE order', entry({ zip64: true, size: 9, compressedSize: 8, offset: GiB4 }), [9, 8, GiB4], 45],
  ])('central record: %s', (_label, e, values, versionNeeded) => {
    const b = centralRecord(e);
    expect(b.readUInt32LE(0)).toBe(0x02014b50);
    expect(b.readUInt16LE(6)).toBe(versionNeeded);
    expect(b.readUInt16LE(8)).toBe(0x0800);
    expect(b.readUInt32LE(16)).toBe(0xdeadbeef);
    expect(zip64Values(centralExtra(b))).toEqual(values);
    expect(b.readUInt32LE(20)).toBe(e.zip64 ? 0xffffffff : e.compressedSize);
    expect(b.readUInt32LE(42)).toBe(e.offset >= 0xffffffff ? 0xffffffff : e.offset);
    expect(b.readUInt32LE(38) >>> 16).toBe(0o100600);
    expect(b.subarray(46, 46 + e.name.length).toString()).toBe('box@example.org/INBOX/a.eml');
  });

  it('leaves the Unix timestamp out for dates past 2038', () => {
    expect(centralExtra(centralRecord(entry()))).toHaveLength(9);
    expect(centralExtra(centralRecord(entry({ dosTimeOnly: true })))).toHaveLength(0);
  });

  it('a streamed ZIP64 local header gets its CRC and sizes written in later, where localSizes says', () => {
    const e = entry({ zip64: true, crc32: 0, size: 0, compressedSize: 0 });
    const header = localHeader(e);
    for (const [pos, value] of localSizes({ ...e, crc32: 0x01020304, size: GiB4 + 3, compressedSize: GiB4 + 2 })) {
      if (typeof value === 'bigint') header.writeBigUInt64LE(value, pos);
      else header.writeUInt32LE(value, pos);
    }
    expect(header.readUInt32LE(14)).toBe(0x01020304);
    expect([header.readUInt32LE(18), header.readUInt32LE(22)]).toEqual([0xffffffff, 0xffffffff]);
    const extra = header.subarray(30 + e.name.length);
    expect(zip64Values(extra)).toEqual([GiB4 + 3, GiB4 + 2]);
    expect(streamNeedsZip64(GiB4 - 1)).toBe(true);
    expect(streamNeedsZip64(100 * 1024 * 1024)).toBe(false);
  });

  it.each([
    [65_534, 10, 20, false],
    [65_535, 10, 20, true],
    [3, GiB4, 20, true],
  ])('end records for %i entries, central directory at %i: ZIP64 %s', (count, cdOffset, cdSize, zip64) => {
    const b = endRecords(count, cdOffset, cdSize);
    const eocd = b.subarray(b.length - 22);
    expect(eocd.readUInt32LE(0)).toBe(0x06054b50);
    expect(eocd.readUInt16LE(10)).toBe(Math.min(count, 0xffff));
    expect(eocd.readUInt32LE(16)).toBe(Math.min(cdOffset, 0xffffffff));
    expect(b.length).toBe(zip64 ? 98 : 22);
    if (!zip64) return;
    expect(b.readUInt32LE(0)).toBe(0x06064b50);
    expect(Number(b.readBigUInt64LE(32))).toBe(count);
    expect(Number(b.readBigUInt64LE(48))).toBe(cdOffset);
    expect(b.readUInt32LE(56)).toBe(0x07064b50);
    expect(Number(b.readBigUInt64LE(64))).toBe(cdOffset + cdSize);
  });
});
