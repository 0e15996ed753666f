/**
 * Many path-like names (`mailbox/folder/file.eml`) kept compactly: each is split after its last
 * '/', the part before it kept once for all names that share it, the rest as UTF-8 bytes in one
 * growing buffer. 100,000 message names as strings took ~15 MB of V8 heap, which the garbage
 * collector scans and which V8 sizes its heap by; here they take ~9 MB outside it.
 */
export class NameColumn {
  count = 0;
  private readonly prefixes: string[] = [];
  private readonly prefixIds = new Map<string, number>();
  private prefixOf = new Uint32Array(1024);
  /** Where each name's rest ends in `bytes`; it starts where the one before it ends. */
  private ends = new Float64Array(1024);
  private bytes = Buffer.allocUnsafe(64 * 1024);
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
    if (this.count === this.ends.length) {
      this.prefixOf = grown(this.prefixOf);
      this.ends = grown(this.ends);
    }
    const rest = name.slice(cut);
    // UTF-16 to UTF-8 takes at most 3 bytes per code unit.
    if (this.used + rest.length * 3 > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + rest.length * 3));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    this.used += this.bytes.write(rest, this.used, 'utf8');
    this.prefixOf[this.count] = id;
    this.ends[this.count] = this.used;
    this.count++;
  }

  get(i: number): string {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`no name ${i} of ${this.count}`);
    const start = i === 0 ? 0 : (this.ends[i - 1] as number);
    return (this.prefixes[this.prefixOf[i] as number] as string) + this.bytes.toString('utf8', start, this.ends[i]);
  }
}

/** A copy twice as long; typed arrays cannot grow in place. */
export function grown<T extends Float64Array | Uint32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
