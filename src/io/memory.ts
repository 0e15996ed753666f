import { flagGiven } from '../core/v8-flags.js';
import { builtinModule } from './builtin.js';

/** Loaded on first use: most runs never need them, and `node:v8` costs ~2 ms of every start. */
const v8 = () => builtinModule('node:v8');

/**
 * Message and archive data pass through as short-lived Buffers outside V8's heap (socket chunks,
 * parsed literals, file reads). V8 frees them only when it collects their small wrappers, and it
 * lets tens of MB of dead ones pile up first; malloc then keeps that high-water mark as the
 * process's memory. Code that drops a large Buffer says so; when Buffers then hold more than the
 * budget, a full collection (~10 ms) frees the dead ones. After one, the budget stays above what
 * is really in use, so Buffers still being written never cause a collection after every message.
 * Budget measured on 20,000 messages (binary, 3 runs each): 24 MB 145-154 MB peak RSS, 16 MB
 * 133-140 MB, 12 MB 126-133 MB, same wall time; 12 MB costs 76 collections, 0.67 s of a 15 s run.
 */
const CHECK_EVERY = 4 * 1024 * 1024;
const BUDGET = 12 * 1024 * 1024;

/** Buffers whose memory no one else shares: made by ownedBuffer, not yet released. */
const owned = new WeakSet<Buffer>();

/**
 * A Buffer of its own memory (not a slice of a pool or of a socket read) that releaseBuffer can
 * give back at once. Message bodies are read into these: freeing each when its file is written
 * keeps the process's memory at what is in flight, with no collection to wait for.
 */
export function ownedBuffer(size: number): Buffer {
  const b = Buffer.allocUnsafeSlow(size);
  owned.add(b);
  return b;
}

/** ArrayBuffer.prototype.transfer: Node 22 and later (V8 11.4); Node 20 lacks it. */
const canDetach = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

/**
 * Frees a Buffer from ownedBuffer now; it reads as empty from then on, so the caller must be its
 * last user. Anything else, and everything on a Node without ArrayBuffer transfer, is left to the
 * collector, as droppedBuffer says.
 */
export function releaseBuffer(b: Buffer): void {
  if (!canDetach || !owned.delete(b)) return droppedBuffer(b.length);
  try {
    // Detaching the ArrayBuffer (transfer to a new empty one) frees its memory without a collection.
    (b.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
  } catch {
    droppedBuffer(b.length);
  }
}

/**
 * releaseBuffer for code handed Buffers it did not make, which counts their bytes itself (a
 * stream's pieces): one from ownedBuffer is freed now; any other is left as it is, uncounted.
 */
export function releaseIfOwned(b: Buffer): void {
  if (owned.has(b)) releaseBuffer(b);
}

/** Whether a Buffer was released: writing or comparing it would take it for an empty message. */
export function isReleased(b: Buffer): boolean {
  return (b.buffer as ArrayBuffer & { detached?: boolean }).detached === true;
}

let dropped = 0;
let limit = BUDGET;
let collect: (() => void) | null | undefined;

export function droppedBuffer(bytes: number): void {
  dropped += bytes;
  if (dropped < CHECK_EVERY) return;
  dropped = 0;
  if (process.memoryUsage().arrayBuffers < limit) return;
  const gc = collector();
  if (!gc) return;
  gc();
  limit = Math.max(BUDGET, process.memoryUsage().arrayBuffers + BUDGET / 2);
}

/**
 * A full collection now. For a step that leaves much garbage behind, such as listing 100,000
 * files, before a long one that allocates little: V8 would otherwise carry that garbage, and the
 * heap grown for it, for as long as no full collection comes (at 100,000 files: 35 MB for 18 s).
 */
export function collectNow(): void {
  collector()?.();
}

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return (collect = exposed);
  try {
    // A context created after the flag is set gets `gc`; the flag changes nothing else.
    v8().setFlagsFromString('--expose-gc');
    const fn: unknown = builtinModule('node:vm').runInNewContext('gc');
    collect = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/**
 * Past this many messages or entries in one run, V8's old generation grows in steps of 20 % of what
 * survived its last full collection instead of up to 4 x. The headroom of the default step is all
 * peak at 100,000 messages (full backup, CLI on Node 22: 151 MB against 131 MB), while below this
 * size the default's fewer full collections save CPU (10,000: 1-11 instead of ~19 mark-compacts,
 * user CPU 2.4-2.6 against 2.8-3.0 s) for a peak well under the limit (116-124 MB).
 */
export const LARGE_RUN = 20_000;

let steadyGrowth = false;

/**
 * Says how many messages or entries the run is about to hold: a large run sets the 20 % step from
 * here on, unless the admin gave V8 a step of their own (command line or NODE_OPTIONS).
 */
export function expectItems(count: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS']): boolean {
  if (steadyGrowth || count < LARGE_RUN) return false;
  steadyGrowth = true;
  if (flagGiven('--heap-growing-percent', execArgv, nodeOptions)) return false;
  try {
    // Read by V8 each time it sets the next collection's limit, so it applies from the next one.
    v8().setFlagsFromString('--heap-growing-percent=20');
  } catch {
    return false;
  }
  return true;
}
