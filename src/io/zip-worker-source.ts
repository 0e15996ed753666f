/**
 * The code of a zip worker thread, as a string: a single executable has no file to load it from.
 *
 * It allocates nothing per file. glibc keeps what a thread frees in that thread's own arena, and
 * the main thread's streams of large files grew its heap by 40 MB at 100,000 files. Here each
 * worker reads into one buffer, deflates and inflates through zlib streams it keeps (reset
 * between files) straight into a slot the main thread lends it, and the main thread writes the
 * slot to the archive. Large files go the same way, 1 MB at a time; the checker reads entries of
 * any size 1 MB at a time.
 *
 * zlib's public calls allocate their output, so the stream's own write call is used, as Node's
 * `zlib.deflateRawSync` itself does (`_handle.writeSync`, results in `_writeState`; Node 20 to 24).
 * Where it is missing, `direct` is false and the worker falls back to `deflateRawSync` and
 * `inflateRawSync` on whole files, which copy and hold a large file whole.
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { Z_FINISH, Z_NO_FLUSH } = zlib.constants;
const PIECE = 1024 * 1024;

let scratch = Buffer.allocUnsafeSlow(0);
let inflated = Buffer.allocUnsafeSlow(0);
const grown = (buf, n) => (buf.length >= n ? buf : Buffer.allocUnsafeSlow(Math.max(n, 64 * 1024)));
const stopFlag = workerData?.stop ? new Int32Array(workerData.stop) : undefined;
/** Throws once the main thread closes the pool: what is left of a task is dropped, not done. */
function stopIfAsked() {
  if (stopFlag !== undefined && Atomics.load(stopFlag, 0) === 1) throw new Error('the archive workers were stopped');
}
const changed = (name) => Object.assign(new Error(name + ' changed while it was being archived'), { code: 'ECHANGED' });

const engines = new Map();
/** A zlib stream of this kind, reset; a stream that failed is replaced. */
function engine(kind, level) {
  const key = kind + level;
  let z = engines.get(key);
  if (z && z.destroyed) { engines.delete(key); z = undefined; }
  if (!z) {
    z = kind === 'inflate' ? zlib.createInflateRaw() : zlib.createDeflateRaw({ level });
    z.on('error', () => undefined);
    engines.set(key, z);
  } else {
    z.reset();
  }
  return z;
}
const direct = workerData?.direct !== false && (() => {
  const z = zlib.createDeflateRaw();
  const ok = typeof z._handle?.writeSync === 'function' && z._writeState instanceof Uint32Array && typeof z.reset === 'function';
  z.close();
  return ok;
})();

/** Passes input[from, from + length) through z into out[at, at + room); written is -1 when out filled up. */
function run(z, flush, input, from, length, out, at, room) {
  z._handle.writeSync(flush, input, from, length, out, at, room);
  if (z.destroyed) throw z.errored || new Error('zlib failed');
  const [outLeft, inLeft] = z._writeState;
  return { written: outLeft === 0 ? -1 : room - outLeft, produced: room - outLeft, inLeft };
}

/** Reads length bytes at position into the scratch buffer; fewer only at the end of the file. */
function readAt(fd, length, position) {
  scratch = grown(scratch, length);
  let got = 0;
  for (let n = 1; n > 0 && got < length; got += n) n = fs.readSync(fd, scratch, got, length - got, position + got);
  return scratch.subarray(0, got);
}

/** The open file, whole, in the scratch buffer; a size other than the listed one means it changed. */
function wholeOf(fd, size, name) {
  const raw = readAt(fd, size + 1, 0);
  if (raw.length !== size) throw changed(name);
  return raw;
}

function readWhole(path, size, name) {
  const fd = fs.openSync(path, 'r');
  try {
    return wholeOf(fd, size, name);
  } finally {
    fs.closeSync(fd);
  }
}

/** Deflates each file into the slot after the previous one; what deflate cannot shrink is stored, as zip does. */
function deflate({ id, files, level, slot }) {
  const out = Buffer.from(slot.buffer, slot.byteOffset, slot.byteLength);
  const items = [];
  let at = 0;
  for (const f of files) {
    stopIfAsked();
    const raw = readWhole(f.path, f.size, f.name);
    const crc32 = zlib.crc32(raw) >>> 0;
    let written = -1;
    if (level > 0 && raw.length > 1) {
      if (direct) written = run(engine('deflate', level), Z_FINISH, raw, 0, raw.length, out, at, Math.min(raw.length - 1, out.length - at)).written;
      else {
        const packed = zlib.deflateRawSync(raw, { level });
        if (packed.length < raw.length && packed.length <= out.length - at) written = packed.copy(out, at);
      }
    }
    const method = written >= 0 ? 8 : 0;
    if (method === 0) {
      if (raw.length > out.length - at) throw new Error('an archive batch is larger than its slot');
      written = raw.copy(out, at);
    }
    items.push({ crc32, method, compressedSize: written });
    at += written;
  }
  parentPort.postMessage({ id, items });
}

// Large files: opened once, then compressed a piece per request, so the main thread writes each
// piece before the next is made.
const streams = new Map();
function open({ id, sid, path, name, size, level }) {
  stopIfAsked();
  // The stream's zlib state is one per worker: one large file at a time.
  if (streams.size > 0) throw new Error('a worker compresses one large file at a time');
  const s = { fd: fs.openSync(path, 'r'), name, size, level, read: 0, crc: 0, z: undefined, whole: undefined };
  streams.set(sid, s);
  if (!direct) {
    const raw = wholeOf(s.fd, size, name);
    s.crc = zlib.crc32(raw);
    s.whole = level > 0 ? zlib.deflateRawSync(raw, { level }) : Buffer.from(raw);
  } else if (level > 0) {
    s.z = engine('large', level);
  }
  parentPort.postMessage({ id });
}
function piece({ id, sid, slot }) {
  stopIfAsked();
  const s = streams.get(sid);
  if (!s) throw new Error('an archive stream was used after it ended');
  const out = Buffer.from(slot.buffer, slot.byteOffset, slot.byteLength);
  let written;
  let done;
  if (s.whole) {
    written = s.whole.copy(out, 0, s.read, s.read + out.length);
    s.read += written;
    done = s.read >= s.whole.length;
  } else {
    const raw = readAt(s.fd, Math.min(PIECE, s.size - s.read), s.read);
    if (raw.length === 0 && s.read < s.size) throw changed(s.name);
    s.read += raw.length;
    s.crc = zlib.crc32(raw, s.crc);
    done = s.read === s.size;
    // One byte past the listed size means the file grew.
    const tail = done ? readAt(s.fd, 1, s.read).length : 0;
    if (tail > 0) throw changed(s.name);
    if (!s.z) written = raw.copy(out, 0);
    else {
      written = run(s.z, done ? Z_FINISH : Z_NO_FLUSH, raw, 0, raw.length, out, 0, out.length).written;
      if (written < 0) throw new Error('a compressed piece is larger than its slot');
    }
  }
  if (done) drop({ sid });
  parentPort.postMessage({ id, written, done, crc32: s.crc >>> 0 });
}
function drop({ sid }) {
  const s = streams.get(sid);
  streams.delete(sid);
  if (s) fs.closeSync(s.fd);
}

/** The CRC-32 and length of an entry's data, read and inflated a piece at a time. */
function entryData(fd, e, start) {
  let crc = 0;
  let length = 0;
  if (e.method === 8 && !direct) {
    const packed = readAt(fd, e.compressedSize, start);
    if (packed.length !== e.compressedSize) throw new Error('the archive ends inside its data');
    let data;
    try { data = zlib.inflateRawSync(packed, { maxOutputLength: e.size + 1, info: true }); }
    catch (err) { throw err.code === 'ERR_BUFFER_TOO_LARGE' ? new Error('more data than recorded') : err; }
    const left = packed.length - data.engine.bytesWritten;
    if (left > 0) throw new Error(left + ' bytes after the end of the compressed data');
    return { crc: zlib.crc32(data.buffer) >>> 0, length: data.buffer.length };
  }
  const z = e.method === 8 ? engine('inflate', 0) : undefined;
  inflated = grown(inflated, PIECE);
  // A deflated entry runs through inflate at least once: empty data is not a deflate stream.
  for (let pos = 0, first = true; first || pos < e.compressedSize; first = false) {
    stopIfAsked();
    const packed = readAt(fd, Math.min(PIECE, e.compressedSize - pos), start + pos);
    if (packed.length !== Math.min(PIECE, e.compressedSize - pos)) throw new Error('the archive ends inside its data');
    pos += packed.length;
    if (!z) {
      crc = zlib.crc32(packed, crc);
      length += packed.length;
      continue;
    }
    const flush = pos === e.compressedSize ? Z_FINISH : Z_NO_FLUSH;
    for (let from = 0, left = packed.length; ; ) {
      // Also per 1 MB inflated: a piece of 1 MB can inflate to 1 GB.
      stopIfAsked();
      const r = run(z, flush, packed, from, left, inflated, 0, inflated.length);
      crc = zlib.crc32(inflated.subarray(0, r.produced), crc);
      length += r.produced;
      if (length > e.size) throw new Error('more data than recorded');
      from += left - r.inLeft;
      left = r.inLeft;
      if (r.written < 0) continue;
      if (left > 0) throw new Error(left + ' bytes after the end of the compressed data');
      break;
    }
  }
  return { crc: crc >>> 0, length };
}

function check({ id, zipPath, entries }) {
  const problems = [];
  const fd = fs.openSync(zipPath, 'r');
  try {
    const head = Buffer.alloc(30);
    for (const e of entries) {
      stopIfAsked();
      try {
        if (fs.readSync(fd, head, 0, 30, e.offset) !== 30 || head.readUInt32LE(0) !== 0x04034b50) throw new Error('no local header at offset ' + e.offset);
        const start = e.offset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
        const { crc, length } = entryData(fd, e, start);
        if (length !== e.size) throw new Error(length + ' bytes of data, ' + e.size + ' recorded');
        if (crc !== e.crc32) problems.push([e.index, 'data CRC ' + crc.toString(16).padStart(8, '0') + ' differs from the recorded ' + e.crc32.toString(16).padStart(8, '0')]);
      } catch (err) {
        problems.push([e.index, err.message]);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  parentPort.postMessage({ id, problems });
}

/** Ends the thread by itself, between tasks, so no zlib stream is half made (see ZipWorkers.close). */
function quit() {
  for (const sid of [...streams.keys()]) try { drop({ sid }); } catch {}
  for (const z of engines.values()) z.close();
  engines.clear();
  parentPort.close();
}

const ops = { deflate, open, piece, drop: (msg) => (drop(msg), parentPort.postMessage({ id: msg.id })), check, probe: ({ id }) => parentPort.postMessage({ id, direct }), quit };
parentPort.on('message', (msg) => {
  try {
    ops[msg.op](msg);
  } catch (err) {
    if (msg.sid !== undefined) try { drop(msg); } catch {}
    parentPort.postMessage({ id: msg.id, error: { message: err.message, code: err.code, path: err.path } });
  }
});
`;
