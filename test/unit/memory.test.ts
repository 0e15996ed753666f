import { describe, expect, it, vi } from 'vitest';
import { droppedBuffer, isReleased, ownedBuffer, releaseBuffer, releaseIfOwned } from '../../src/io/memory.js';

describe('droppedBuffer', () => {
  it('frees dead Buffers once they pass the budget, without --expose-gc', async () => {
    let garbage: Buffer[] | undefined = Array.from({ length: 48 }, () => Buffer.alloc(1024 * 1024, 1));
    const before = process.memoryUsage().arrayBuffers;
    expect(before).toBeGreaterThan(48 * 1024 * 1024);
    const refs = garbage.map((b) => new WeakRef(b));
    garbage = undefined;
    void garbage;
    // A WeakRef keeps its target until the job that made it ends.
    await new Promise((r) => setImmediate(r));
    droppedBuffer(8 * 1024 * 1024);
    // Collected by the call itself: most are gone the moment it returns (a few may still be
    // referenced from the stack).
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThan(8);
    // Their memory is given back by V8's sweeper thread, which on a loaded machine (the full suite
    // on two cores) may finish a little after the collection.
    const deadline = Date.now() + 2000;
    while (process.memoryUsage().arrayBuffers >= before - 24 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before - 24 * 1024 * 1024);
  });
});

describe('ownedBuffer and releaseBuffer', () => {
  // The executables and `node cli.cjs` run on Node 22; this test also runs on the CI's Node, which
  // may be older. There a released Buffer is left intact for the collector.
  const canDetach = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

  it.runIf(canDetach)('give a message Buffer\'s memory back at once, with no collection', () => {
    const held = Array.from({ length: 16 }, () => ownedBuffer(1024 * 1024).fill(7));
    const before = process.memoryUsage().arrayBuffers;
    for (const b of held) releaseBuffer(b);
    expect(process.memoryUsage().arrayBuffers).toBeLessThanOrEqual(before - 16 * 1024 * 1024);
    // Released, a Buffer reads as empty: a late reader can not take stale or freed bytes for data.
    expect(held.every((b) => b.length === 0)).toBe(true);
    expect(held.every(isReleased)).toBe(true);
    // Twice is harmless.
    releaseBuffer(held[0]!);
  });

  it.runIf(!canDetach)('leave a Buffer intact where Node cannot detach it', () => {
    const b = ownedBuffer(4).fill(1);
    releaseBuffer(b);
    expect([...b]).toEqual([1, 1, 1, 1]);
  });

  it.runIf(canDetach)('releaseIfOwned frees an owned Buffer and leaves any other whole', () => {
    const owned = ownedBuffer(1024 * 1024).fill(3);
    const other = Buffer.alloc(16, 5);
    releaseIfOwned(owned);
    releaseIfOwned(other);
    expect(isReleased(owned)).toBe(true);
    expect([...other]).toEqual(Array.from({ length: 16 }, () => 5));
  });

  it('leave any other Buffer as it is: a slice of a socket read or a pool shares its memory', () => {
    const chunk = Buffer.from('abcdefgh');
    const view = chunk.subarray(2, 5);
    releaseBuffer(view);
    releaseBuffer(Buffer.allocUnsafe(100));
    expect(view.toString()).toBe('cde');
    expect(chunk.toString()).toBe('abcdefgh');
    expect(isReleased(view) || isReleased(chunk)).toBe(false);
  });
});

describe('expectItems', () => {
  // One-shot per process: each case gets memory.ts afresh.
  const fresh = async () => {
    vi.resetModules();
    return import('../../src/io/memory.js');
  };

  it.each([
    ['a run of 10,000 keeps V8\'s own step', [10_000], '', [false]],
    ['a run of 20,000 sets the 20 % step, once', [20_000, 50_000], '', [true, false]],
    ['a small folder, then a large mailbox', [300, 120_000], '', [false, true]],
    ['the admin\'s own step is left alone', [100_000], '--max-old-space-size=200 --heap-growing-percent=50', [false]],
    ['in V8\'s other spelling too', [100_000], '--heap_growing_percent=50', [false]],
  ] as const)('%s', async (_name, counts, given, expected) => {
    const { expectItems } = await fresh();
    expect(counts.map((n) => expectItems(n, given.split(' ').filter(Boolean), undefined))).toEqual(expected);
  });

  it('sets the step on a Node without process.getBuiltinModule too (21, 22.0-22.2, which engines admits)', async () => {
    const { expectItems } = await fresh();
    const own = process.getBuiltinModule;
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    try {
      expect(expectItems(20_000, [], undefined)).toBe(true);
    } finally {
      process.getBuiltinModule = own;
    }
  });
});
