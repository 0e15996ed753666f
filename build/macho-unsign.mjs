// Removes the code signature from a thin 64-bit Mach-O executable, as `codesign --remove-signature`
// does on a Mac. Node's official macOS binaries are signed; injecting the SEA blob breaks that
// signature, and macOS kills a binary whose signature does not match (arm64 always, x64 under the
// hardened runtime). An unsigned binary runs on Intel Macs and can be ad-hoc signed on Apple silicon
// with `codesign --sign -`, which refuses a binary that still carries a stale signature.

const MH_MAGIC_64 = 0xfeedfacf;
const LC_SEGMENT_64 = 0x19;
const LC_CODE_SIGNATURE = 0x1d;
const HEADER_SIZE = 32;

/** Load commands of a Mach-O image: what the checks after injection look at. */
export function machoLoadCommands(buf) {
  if (buf.readUInt32LE(0) !== MH_MAGIC_64) throw new Error('not a thin 64-bit little-endian Mach-O file');
  const ncmds = buf.readUInt32LE(16);
  const out = [];
  let off = HEADER_SIZE;
  for (let i = 0; i < ncmds; i++) {
    const cmd = buf.readUInt32LE(off);
    const size = buf.readUInt32LE(off + 4);
    const entry = { cmd, size, offset: off };
    if (cmd === LC_SEGMENT_64) {
      entry.segname = buf.toString('latin1', off + 8, off + 24).replace(/\0+$/, '');
      entry.fileoff = Number(buf.readBigUInt64LE(off + 40));
      entry.filesize = Number(buf.readBigUInt64LE(off + 48));
    } else if (cmd === LC_CODE_SIGNATURE) {
      entry.dataoff = buf.readUInt32LE(off + 8);
      entry.datasize = buf.readUInt32LE(off + 12);
    }
    out.push(entry);
    off += size;
  }
  return out;
}

export function hasCodeSignature(buf) {
  return machoLoadCommands(buf).some((c) => c.cmd === LC_CODE_SIGNATURE);
}

/** Returns a new buffer without the LC_CODE_SIGNATURE command and the signature data it points to. */
export function removeCodeSignature(buf) {
  const cmds = machoLoadCommands(buf);
  const sig = cmds.find((c) => c.cmd === LC_CODE_SIGNATURE);
  if (!sig) return buf;
  const linkedit = cmds.find((c) => c.segname === '__LINKEDIT');
  if (!linkedit) throw new Error('signed Mach-O without a __LINKEDIT segment');
  const linkeditEnd = linkedit.fileoff + linkedit.filesize;
  // The signature is always the last thing in __LINKEDIT and in the file; anything else means a
  // layout this helper does not understand, and cutting the file would corrupt it.
  if (sig.dataoff < linkedit.fileoff || sig.dataoff + sig.datasize > linkeditEnd || linkeditEnd < buf.length - 0x4000) {
    throw new Error('code signature is not at the end of __LINKEDIT; refusing to cut the file');
  }
  const out = Buffer.from(buf.subarray(0, sig.dataoff));
  const sizeofcmds = out.readUInt32LE(20);
  const cmdsEnd = HEADER_SIZE + sizeofcmds;
  out.copy(out, sig.offset, sig.offset + sig.size, cmdsEnd);
  out.fill(0, cmdsEnd - sig.size, cmdsEnd);
  out.writeUInt32LE(out.readUInt32LE(16) - 1, 16);
  out.writeUInt32LE(sizeofcmds - sig.size, 20);
  // vmsize is left as it was: it may exceed filesize, and the loader maps the rest as zeros.
  out.writeBigUInt64LE(BigInt(sig.dataoff - linkedit.fileoff), linkedit.offset + 48);
  return out;
}
