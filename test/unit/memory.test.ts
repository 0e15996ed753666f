import { describe, expect, it } from 'vitest';
import { droppedBuffer } from '../../src/io/memory.js';

describe('droppedBuffer', () => {
  it('frees dead Buffers once they pass the budget, without --expose-gc', () => {
    let garbage: Buffer[] | undefined = Array.from({ length: 48 }, () => Buffer.alloc(1024 * 1024, 1));
    const before = process.memoryUsage().arrayBuffers;
    expect(before).toBeGreaterThan(48 * 1024 * 1024);
    garbage = undefined;
    void garbage;
    droppedBuffer(8 * 1024 * 1024);
    // Most of the 48 MB is freed at once (a few may still be referenced from the stack).
    expect(process.memoryUsage().arrayBuffers).toBeLessThan(before - 24 * 1024 * 1024);
  });
});
