/**
 * Many path-like names (`mailbox/folder/file.eml`) kept compactly: each is split after its last
 * '/', the part before it kept once for all names that share it, the rest as UTF-8 bytes in 1 MB
 * chunks. 100,000 message names as strings took ~15 MB of V8 heap, which the garbage collector
 * scans and which V8 sizes its heap by; here they take ~9 MB outside it. Chunks, not one buffer
 * grown by doubling: each doubling left the old buffer behind in malloc's heap, which on Node 20
 * (no mmap threshold fix, see src/cli/allocator.ts) kept ~30 MB of them at 100,000 names.
 */
export class NameColumn {
  count = 0;
  private readonly prefixes: string[] = [];
  private readonly prefixIds = new Map<string, number>();
  private readonly chunks: Buffer[] = [];
  /** Per name: its prefix, and where its rest lies (chunk, offset, length). */
  private prefixOf = new Uint32Array(1024);
  private chunkOf = new Uint32Array(1024);
  private startOf = new Uint32Array(1024);
  private lengthOf = new Uint32Array(1024);
  private used = 0;

  push(name: string): void {
    const cut = name.lastIndexOf('/') + 1;
    let id = this.prefixIds.get(name.slice(0, cut));
    if (id === undefined) {
      // A copy, so the kept prefix does not hold on to the whole first name it came from.
      const prefix = Buffer.from(name.slice(0, cut), 'utf8').toString('utf8');
      id = this.prefixes.push(prefix) - 1;
      this.prefixIds.set(prefix, id);
    }
    if (this.count === this.prefixOf.length) {
      this.prefixOf = grown(this.prefixOf);
      this.chunkOf = grown(this.chunkOf);
      this.startOf = grown(this.startOf);
      this.lengthOf = grown(this.lengthOf);
    }
    const rest = name.slice(cut);
    // UTF-16 to UTF-8 takes at most 3 bytes per code unit; a name never spans two chunks.
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || this.used + rest.length * 3 > chunk.length) {
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK, rest.length * 3));
      this.chunks.push(chunk);
      this.used = 0;
    }
    const i = this.count++;
    this.prefixOf[i] = id;
    this.chunkOf[i] = this.chunks.length - 1;
    this.startOf[i] = this.used;
    this.lengthOf[i] = chunk.write(rest, this.used, 'utf8');
    this.used += this.lengthOf[i] as number;
  }

  get(i: number): string {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`no name ${i} of ${this.count}`);
    const chunk = this.chunks[this.chunkOf[i] as number] as Buffer;
    const start = this.startOf[i] as number;
    return (this.prefixes[this.prefixOf[i] as number] as string) + chunk.toString('utf8', start, start + (this.lengthOf[i] as number));
  }
}

const CHUNK = 1024 * 1024;

/** A copy twice as long; typed arrays cannot grow in place. */
export function grown<T extends Float64Array | Uint32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
