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

  it('several producers at once (a folder on several connections): the limits hold, drain waits for every write', async () => {
    const q = new WriteQueue(4, 1000);
    let running = 0;
    let bytes = 0;
    let maxRunning = 0;
    let maxBytes = 0;
    const written: number[] = [];
    const producer = async (from: number) => {
      for (let i = from; i < from + 25; i++) {
        const size = (i * 37) % 400;
        await q.add(async () => {
          running++;
          bytes += size;
          maxRunning = Math.max(maxRunning, running);
          maxBytes = Math.max(maxBytes, bytes);
          await tick(i % 3);
          running--;
          bytes -= size;
          written.push(i);
        }, size);
      }
    };
    await Promise.all([producer(0), producer(100), producer(200)]);
    await q.drain();
    expect(running).toBe(0);
    expect(written.sort((a, b) => a - b)).toEqual([...Array(25).keys()].flatMap((i) => [i, 100 + i, 200 + i]).sort((a, b) => a - b));
    expect(maxRunning).toBe(4);
    expect(maxBytes).toBeLessThanOrEqual(1000);
  });

  it('a failure wakes a producer waiting for room, which then gets the error', async () => {
    const q = new WriteQueue(1);
    let fail!: (e: Error) => void;
    await q.add(() => new Promise<void>((_, reject) => (fail = reject)));
    const waiting = q.add(async () => undefined);
    fail(new Error('EIO'));
    await expect(waiting).rejects.toThrow('EIO');
    await expect(q.drain()).rejects.toThrow('EIO');
  });

  it('a task that throws instead of rejecting ends its slot: drain() returns with the error', async () => {
    const q = new WriteQueue(2);
    await q.add((() => {
      throw new Error('bad path');
    }) as () => Promise<void>);
    await expect(q.drain()).rejects.toThrow('bad path');
  });
});
