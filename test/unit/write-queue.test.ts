import { describe, expect, it } from 'vitest';
import { WriteQueue } from '../../src/engine/write-queue.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WriteQueue', () => {
  it('keeps at most `limit` tasks and `maxBytes` in flight', async () => {
    const q = new WriteQueue(3, 100);
    let running = 0;
    let bytes = 0;
    let maxRunning = 0;
    let maxBytes = 0;
    for (const size of [10, 60, 30, 50, 5, 5, 5, 90]) {
      await q.add(async () => {
        running++;
        bytes += size;
        maxRunning = Math.max(maxRunning, running);
        maxBytes = Math.max(maxBytes, bytes);
        await tick(5);
        running--;
        bytes -= size;
      }, size);
    }
    await q.drain();
    expect(maxRunning).toBe(3);
    expect(maxBytes).toBeLessThanOrEqual(100);
  });

  it('lets one task larger than maxBytes through alone rather than wait forever', async () => {
    const q = new WriteQueue(8, 10);
    let done = 0;
    await q.add(async () => void done++, 1000);
    await q.add(async () => void done++, 1000);
    await q.drain();
    expect(done).toBe(2);
  });

  it('rethrows the first failure from add() and drain()', async () => {
    const q = new WriteQueue(2);
    await q.add(async () => {
      throw new Error('disk full');
    });
    await tick(1);
    await expect(q.add(async () => undefined)).rejects.toThrow('disk full');
    await expect(q.drain()).rejects.toThrow('disk full');
  });
});
