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
function startSlot(words: ArrayLike<number>, mask: number): number {
  let h = SEED;
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
 * The open-addressing table both classes below are: keys of `width` 32-bit words, each with one
 * 32-bit value, 0 meaning an empty slot. Nothing is ever deleted, so a probe ends at the first
 * empty slot.
 */
class WordTable {
  private slots = FIRST_SLOTS;
  private keys: Uint32Array;
  private values = new Uint32Array(FIRST_SLOTS);
  private used = 0;

  constructor(private readonly width: number) {
    this.keys = new Uint32Array(width * FIRST_SLOTS);
  }

  /** The slot holding `key`, or -(the empty slot where it would go) - 1. */
  find(key: Uint32Array): number {
    const mask = this.slots - 1;
    for (let slot = startSlot(key, mask); ; slot = (slot + 1) & mask) {
      if (this.values[slot] === 0) return -slot - 1;
      let k = this.width * slot;
      let i = 0;
      while (i < this.width && this.keys[k++] === key[i]) i++;
      if (i === this.width) return slot;
    }
  }

  value(slot: number): number {
    return this.values[slot] as number;
  }

  setValue(slot: number, value: number): void {
    this.values[slot] = value;
  }

  /** Puts in a key `find` did not find, with its value (not 0). */
  insert(key: Uint32Array, value: number): void {
    if (this.used + 1 > this.slots * MAX_LOAD) this.grow();
    const slot = -this.find(key) - 1;
    this.keys.set(key, this.width * slot);
    this.values[slot] = value;
    this.used++;
  }

  private grow(): void {
    const { keys, values, slots, width } = this;
    this.slots = slots * 2;
    this.keys = new Uint32Array(width * this.slots);
    this.values = new Uint32Array(this.slots);
    for (let old = 0; old < slots; old++) {
      if (values[old] === 0) continue;
      const key = keys.subarray(width * old, width * (old + 1));
      const slot = -this.find(key) - 1;
      this.keys.set(key, width * slot);
      this.values[slot] = values[old] as number;
    }
  }
}

/**
 * A multiset of strings by their 64-bit hash. It can take a string it never held for one it holds
 * (two strings of one hash, about 1 in 2^64 per pair), never the other way round, and a removal
 * only takes away what one add put in: so a name it reports free is free. Callers use it only
 * where "taken" is the safe mistake (a `__2` name instead of the plain one).
 */
export class NameCounts {
  /** Value: count + 1. A key whose count fell to 0 keeps its slot. */
  private readonly table = new WordTable(2);
  private readonly key = new Uint32Array(2);

  constructor(private readonly hash: Hash64 = hash64) {}

  has(s: string): boolean {
    return this.count(s) > 0;
  }

  count(s: string): number {
    const slot = this.find(s);
    return slot < 0 ? 0 : this.table.value(slot) - 1;
  }

  /** Returns the count before. */
  add(s: string): number {
    const slot = this.find(s);
    if (slot < 0) {
      this.table.insert(this.key, 2);
      return 0;
    }
    const before = this.table.value(slot) - 1;
    this.table.setValue(slot, before + 2);
    return before;
  }

  /** Takes back one add; returns the count before (0: nothing to take back, nothing changed). */
  remove(s: string): number {
    const slot = this.find(s);
    const before = slot < 0 ? 0 : this.table.value(slot) - 1;
    if (before > 0) this.table.setValue(slot, before);
    return before;
  }

  /** Leaves the key's words in `key`. */
  private find(s: string): number {
    const [a, b] = this.hash(s);
    this.key[0] = a;
    this.key[1] = b;
    return this.table.find(this.key);
  }
}

/**
 * An exact map from (segment1, size) to a file name: segment1 is an MD5 in hex, so its 128 bits
 * are the key itself, not a hash of it, and the size goes in as its 64 bits (a whole number of
 * bytes, so bits equal when numbers are).
 */
export class TwinIndex {
  /** Value: index + 1 into `names`. */
  private readonly table = new WordTable(6);
  private readonly names: string[] = [];
  private readonly key = new Uint32Array(6);
  private readonly size64 = new Float64Array(this.key.buffer, 16, 1);

  get size(): number {
    return this.names.length;
  }

  has(segment1: string, size: number): boolean {
    return this.find(segment1, size) >= 0;
  }

  get(segment1: string, size: number): string | undefined {
    const slot = this.find(segment1, size);
    return slot < 0 ? undefined : this.names[this.table.value(slot) - 1];
  }

  set(segment1: string, size: number, fileName: string): void {
    const slot = this.find(segment1, size);
    if (slot >= 0) this.names[this.table.value(slot) - 1] = fileName;
    else this.table.insert(this.key, this.names.push(fileName));
  }

  /** Leaves the key's words in `key`. */
  private find(segment1: string, size: number): number {
    if (!/^[0-9a-f]{32}$/.test(segment1)) throw new Error(`internal error: ${JSON.stringify(segment1)} is not a segment1`);
    for (let i = 0; i < 4; i++) this.key[i] = parseInt(segment1.slice(8 * i, 8 * i + 8), 16);
    // -0 and 0 are one size, as they were one key in the Map this replaced.
    this.size64[0] = size === 0 ? 0 : size;
    return this.table.find(this.key);
  }
}
