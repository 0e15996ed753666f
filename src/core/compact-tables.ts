/**
 * What a folder's run remembers about every message it saved, held in typed arrays. A JS Set or
 * Map of strings costs ~150 bytes per entry (the string, a second string for the key, the table);
 * at 100,000 messages that was a tenth of the peak RSS. Open addressing, linear probing.
 */

/** Slots double when three quarters are used: 1.3 to 2.7 slots per entry. */
const MAX_LOAD = 0.75;
const FIRST_SLOTS = 1024;

export type Hash64 = (s: string) => readonly [number, number];

/**
 * Where a key's probe starts: all its words, mixed with a seed drawn per process, so mail made
 * to crowd one run of slots (Message-IDs or subjects chosen for their hash) cannot slow a folder
 * down to quadratic time. murmur3's finaliser.
 */
const SEED = (Math.random() * 2 ** 32) >>> 0;
function startSlot(words: ArrayLike<number>, extra: number, mask: number): number {
  let h = SEED ^ extra;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ (words[i] as number), 0x9e3779b1) ^ (h >>> 15);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) & mask;
}

/**
 * 64 bits of a string as two 32-bit words (cyrb53's mixing, unseeded and seeded). Not a
 * cryptographic hash: a collision, even a crafted one, only makes `NameCounts` call a free name
 * taken.
 */
export const hash64: Hash64 = (s) => {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
};

/**
 * A multiset of strings by their 64-bit hash. It can take a string it never held for one it holds
 * (two strings of one hash, about 1 in 2^64 per pair), never the other way round, and a removal
 * only takes away what one add put in: so a name it reports free is free. Callers use it only
 * where "taken" is the safe mistake (a `__2` name instead of the plain one).
 */
export class NameCounts {
  private slots = FIRST_SLOTS;
  private keys = new Uint32Array(2 * FIRST_SLOTS);
  /** count + 1; 0 for a slot never used. A key whose count fell to 0 keeps its slot. */
  private counts = new Uint32Array(FIRST_SLOTS);
  private used = 0;
  private readonly pair = new Uint32Array(2);

  constructor(private readonly hash: Hash64 = hash64) {}

  has(s: string): boolean {
    return this.count(s) > 0;
  }

  count(s: string): number {
    const slot = this.find(...this.hash(s));
    return slot < 0 ? 0 : (this.counts[slot] as number) - 1;
  }

  /** Returns the count before. */
  add(s: string): number {
    const [a, b] = this.hash(s);
    let slot = this.find(a, b);
    if (slot < 0) {
      if (this.used + 1 > this.slots * MAX_LOAD) this.grow();
      slot = -this.find(a, b) - 1;
      this.keys[2 * slot] = a;
      this.keys[2 * slot + 1] = b;
      this.counts[slot] = 1;
      this.used++;
    }
    const before = (this.counts[slot] as number) - 1;
    this.counts[slot] = before + 2;
    return before;
  }

  /** Takes back one add; returns the count before (0: nothing to take back, nothing changed). */
  remove(s: string): number {
    const slot = this.find(...this.hash(s));
    const before = slot < 0 ? 0 : (this.counts[slot] as number) - 1;
    if (before > 0) this.counts[slot] = before;
    return before;
  }

  /** The slot holding (a, b), or -(the empty slot where it would go) - 1. */
  private find(a: number, b: number): number {
    const mask = this.slots - 1;
    this.pair[0] = a;
    this.pair[1] = b;
    for (let slot = startSlot(this.pair, 0, mask); ; slot = (slot + 1) & mask) {
      if (this.counts[slot] === 0) return -slot - 1;
      if (this.keys[2 * slot] === a && this.keys[2 * slot + 1] === b) return slot;
    }
  }

  private grow(): void {
    const { keys, counts, slots } = this;
    this.slots = slots * 2;
    this.keys = new Uint32Array(2 * this.slots);
    this.counts = new Uint32Array(this.slots);
    for (let old = 0; old < slots; old++) {
      if (counts[old] === 0) continue;
      const a = keys[2 * old] as number;
      const b = keys[2 * old + 1] as number;
      const slot = -this.find(a, b) - 1;
      this.keys[2 * slot] = a;
      this.keys[2 * slot + 1] = b;
      this.counts[slot] = counts[old] as number;
    }
  }
}

/**
 * An exact map from (segment1, size) to a file name: segment1 is an MD5 in hex, so its 128 bits
 * are the key itself, not a hash of it.
 */
export class TwinIndex {
  private slots = FIRST_SLOTS;
  private keys = new Uint32Array(4 * FIRST_SLOTS);
  private sizes = new Float64Array(FIRST_SLOTS);
  /** Index + 1 into `names`; 0 for an empty slot. */
  private refs = new Int32Array(FIRST_SLOTS);
  private readonly names: string[] = [];
  private readonly word = new Uint32Array(4);

  get size(): number {
    return this.names.length;
  }

  has(segment1: string, size: number): boolean {
    return this.find(segment1, size) >= 0;
  }

  get(segment1: string, size: number): string | undefined {
    const slot = this.find(segment1, size);
    return slot < 0 ? undefined : this.names[(this.refs[slot] as number) - 1];
  }

  set(segment1: string, size: number, fileName: string): void {
    let slot = this.find(segment1, size);
    if (slot >= 0) {
      this.names[(this.refs[slot] as number) - 1] = fileName;
      return;
    }
    if (this.names.length + 1 > this.slots * MAX_LOAD) {
      this.grow();
      slot = this.find(segment1, size);
    }
    slot = -slot - 1;
    this.keys.set(this.word, 4 * slot);
    this.sizes[slot] = size;
    this.refs[slot] = this.names.push(fileName);
  }

  /** Leaves the key's words in `word`. */
  private find(segment1: string, size: number): number {
    if (!/^[0-9a-f]{32}$/.test(segment1)) throw new Error(`internal error: ${JSON.stringify(segment1)} is not a segment1`);
    const w = this.word;
    for (let i = 0; i < 4; i++) w[i] = parseInt(segment1.slice(8 * i, 8 * i + 8), 16);
    return this.probe(w, size);
  }

  private probe(w: Uint32Array, size: number): number {
    const mask = this.slots - 1;
    // The size's high bits too: sizes past 4 GiB are rare, but an equal low word must not make
    // them share a start.
    for (let slot = startSlot(w, (size | 0) ^ Math.floor(size / 2 ** 32), mask); ; slot = (slot + 1) & mask) {
      if (this.refs[slot] === 0) return -slot - 1;
      const k = 4 * slot;
      if (this.keys[k] === w[0] && this.keys[k + 1] === w[1] && this.keys[k + 2] === w[2] && this.keys[k + 3] === w[3] && this.sizes[slot] === size) return slot;
    }
  }

  private grow(): void {
    const { keys, sizes, refs, slots } = this;
    this.slots = slots * 2;
    this.keys = new Uint32Array(4 * this.slots);
    this.sizes = new Float64Array(this.slots);
    this.refs = new Int32Array(this.slots);
    const w = new Uint32Array(4);
    for (let old = 0; old < slots; old++) {
      if (refs[old] === 0) continue;
      w.set(keys.subarray(4 * old, 4 * old + 4));
      const slot = -this.probe(w, sizes[old] as number) - 1;
      this.keys.set(w, 4 * slot);
      this.sizes[slot] = sizes[old] as number;
      this.refs[slot] = refs[old] as number;
    }
  }
}
