import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hash64, NameCounts, TwinIndex, type Hash64 } from '../../src/core/compact-tables.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
/** Deterministic, so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

describe('hash64', () => {
  it('gives 64 bits that tell 200,000 file names apart', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(hash64(`${md5(String(i))}__re report ${i % 7}__01-jan-2024-000000.eml`).join(':'));
    expect(seen.size).toBe(200_000);
  });

  it.each([
    ['', '\u0000'],
    ['a', 'b'],
    ['ab', 'ba'],
    ['é', 'e\u0301'],
    ['x.eml', 'x.eml\u0000'],
  ])('%j and %j differ', (a, b) => {
    expect(hash64(a)).not.toEqual(hash64(b));
  });
});

describe('NameCounts', () => {
  it('agrees with a Set of 100,000 names through growth, adds and removes', () => {
    const counts = new NameCounts();
    const reference = new Map<string, number>();
    const next = random(7);
    for (let i = 0; i < 150_000; i++) {
      const name = `n${Math.floor(next() * 100_000)}`;
      const before = reference.get(name) ?? 0;
      if (next() < 0.2) {
        expect(counts.remove(name)).toBe(before);
        if (before > 0) reference.set(name, before - 1);
      } else {
        expect(counts.add(name)).toBe(before);
        reference.set(name, before + 1);
      }
    }
    for (let i = 0; i < 100_000; i++) expect(counts.count(`n${i}`)).toBe(reference.get(`n${i}`) ?? 0);
    expect(counts.has('never added')).toBe(false);
  });

  it('frees a name again when its only add is taken back, and reuses its slot', () => {
    const counts = new NameCounts();
    expect(counts.add('a.eml')).toBe(0);
    expect(counts.remove('a.eml')).toBe(1);
    expect(counts.has('a.eml')).toBe(false);
    expect(counts.remove('a.eml')).toBe(0);
    expect(counts.add('a.eml')).toBe(0);
    expect(counts.has('a.eml')).toBe(true);
  });

  // The property the folder store relies on: a name written is never reported free. With every
  // name on one hash, only the direction of the mistake is left to see.
  it('with colliding hashes, calls a free name taken and never a taken name free', () => {
    const oneHash: Hash64 = () => [1, 2];
    const counts = new NameCounts(oneHash);
    counts.add('a.eml');
    counts.add('b.eml');
    expect(counts.has('c.eml')).toBe(true);
    counts.remove('b.eml');
    expect(counts.has('a.eml')).toBe(true);
    counts.remove('a.eml');
    expect(counts.has('a.eml')).toBe(false);
  });

  it('keeps names apart whose hashes share the slot but not the key', () => {
    const counts = new NameCounts((s) => [0, s.length]);
    counts.add('a');
    counts.add('bb');
    counts.remove('a');
    expect([counts.has('a'), counts.has('bb'), counts.has('cc')]).toEqual([false, true, true]);
  });
});

describe('TwinIndex', () => {
  it('agrees with a Map keyed by `segment1:size` through growth', () => {
    const index = new TwinIndex();
    const reference = new Map<string, string>();
    const next = random(11);
    for (let i = 0; i < 120_000; i++) {
      const seg = md5(String(Math.floor(next() * 40_000)));
      // Sizes past 2^32 and 0: the key is the size itself, not its low bits.
      const size = [0, 31_000, 2 ** 31 + 7, 2 ** 32 + 31_000, Math.floor(next() * 5)][Math.floor(next() * 5)] as number;
      const name = `${seg}__${i}.eml`;
      expect(index.has(seg, size)).toBe(reference.has(`${seg}:${size}`));
      if (next() < 0.5 || !reference.has(`${seg}:${size}`)) {
        index.set(seg, size, name);
        reference.set(`${seg}:${size}`, name);
      }
    }
    expect(index.size).toBe(reference.size);
    for (const [key, name] of reference) {
      const [seg, size] = key.split(':') as [string, string];
      expect(index.get(seg, Number(size))).toBe(name);
    }
  });

  // Mail can choose its Message-IDs: segment1s alike in all but their last word must neither be
  // mixed up nor pile up on one run of slots.
  it('keeps 20,000 segment1s apart that share their first 96 bits, in linear time', () => {
    const index = new TwinIndex();
    const prefix = md5('crowd').slice(0, 24);
    const seg = (i: number) => `${prefix}${i.toString(16).padStart(8, '0')}`;
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) index.set(seg(i), 5, `f${i}`);
    for (let i = 0; i < 20_000; i++) expect(index.get(seg(i), 5)).toBe(`f${i}`);
    expect(index.get(seg(20_000), 5)).toBeUndefined();
    // Quadratic probing of 20,000 keys takes seconds; linear is a few milliseconds.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['another segment1', md5('b'), 10],
    ['the same segment1 at another size', md5('a'), 11],
    ['a segment1 differing in its last word only', `${md5('a').slice(0, 24)}00000000`, 10],
  ])('tells %s apart', (_what, seg, size) => {
    const index = new TwinIndex();
    index.set(md5('a'), 10, 'a.eml');
    expect(index.get(seg, size)).toBeUndefined();
    index.set(seg, size, 'other.eml');
    expect([index.get(md5('a'), 10), index.get(seg, size)]).toEqual(['a.eml', 'other.eml']);
  });

  it('takes -0 for the size 0, as the Map keyed by `segment1:size` did', () => {
    const index = new TwinIndex();
    index.set(md5('a'), 0, 'a.eml');
    expect(index.get(md5('a'), -0)).toBe('a.eml');
  });

  it('refuses a key that is not an MD5 in hex, rather than file it under a wrong one', () => {
    const index = new TwinIndex();
    expect(() => index.set('not-a-hash', 1, 'x.eml')).toThrow(/not a segment1/);
    expect(() => index.get(md5('a').toUpperCase(), 1)).toThrow(/not a segment1/);
  });
});
