import { describe, expect, it } from 'vitest';
import { hasCodeSignature, machoLoadCommands, removeCodeSignature } from '../../build/macho-unsign.mjs';

const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const LC_UUID = 0x1b;

function segment(name: string, fileoff: number, filesize: number): Buffer {
  const b = Buffer.alloc(72);
  b.writeUInt32LE(LC_SEGMENT_64, 0);
  b.writeUInt32LE(72, 4);
  b.write(name, 8, 'latin1');
  b.writeBigUInt64LE(BigInt(fileoff), 24); // vmaddr
  b.writeBigUInt64LE(BigInt(filesize + 0x1000), 32); // vmsize
  b.writeBigUInt64LE(BigInt(fileoff), 40);
  b.writeBigUInt64LE(BigInt(filesize), 48);
  return b;
}

/** A minimal signed arm64 executable: __TEXT, __LINKEDIT ending in a code signature, then LC_UUID. */
function signedMacho(): Buffer {
  const sig = Buffer.alloc(16);
  sig.writeUInt32LE(LC_CODE_SIGNATURE, 0);
  sig.writeUInt32LE(16, 4);
  sig.writeUInt32LE(0x1100, 8);
  sig.writeUInt32LE(0x100, 12);
  const uuid = Buffer.alloc(24, 0xab);
  uuid.writeUInt32LE(LC_UUID, 0);
  uuid.writeUInt32LE(24, 4);
  const cmds = Buffer.concat([segment('__TEXT', 0, 0x1000), segment('__LINKEDIT', 0x1000, 0x200), sig, uuid]);
  const header = Buffer.alloc(32);
  header.writeUInt32LE(0xfeedfacf, 0);
  header.writeUInt32LE(0x0100000c, 4);
  header.writeUInt32LE(2, 12);
  header.writeUInt32LE(4, 16);
  header.writeUInt32LE(cmds.length, 20);
  const file = Buffer.alloc(0x1200, 0x11);
  Buffer.concat([header, cmds]).copy(file);
  return file;
}

describe('removeCodeSignature', () => {
  it('drops LC_CODE_SIGNATURE, shifts the later commands up and cuts the signature off __LINKEDIT', () => {
    const signed = signedMacho();
    expect(hasCodeSignature(signed)).toBe(true);
    const out = removeCodeSignature(signed);
    expect(hasCodeSignature(out)).toBe(false);
    expect(out.length).toBe(0x1100);
    expect(out.readUInt32LE(16)).toBe(3);
    expect(out.readUInt32LE(20)).toBe(72 * 2 + 24);
    const cmds = machoLoadCommands(out);
    expect(cmds.map((c) => c.cmd)).toEqual([LC_SEGMENT_64, LC_SEGMENT_64, LC_UUID]);
    expect(cmds.find((c) => c.segname === '__LINKEDIT')?.filesize).toBe(0x100);
    expect(out.subarray(32 + 144 + 8, 32 + 144 + 24).every((b) => b === 0xab)).toBe(true);
    // The slot the removed command leaves at the end of the commands is zeroed.
    expect(out.subarray(32 + 168, 32 + 184).every((b) => b === 0)).toBe(true);
  });

  it('leaves an unsigned file alone and refuses what it does not understand', () => {
    const unsigned = removeCodeSignature(signedMacho());
    expect(removeCodeSignature(unsigned)).toBe(unsigned);
    expect(() => removeCodeSignature(Buffer.alloc(64))).toThrow(/Mach-O/);
  });
});
