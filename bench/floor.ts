// The network floor: one raw `UID FETCH 1:* BODY.PEEK[]` per folder over IMAPS, bytes discarded.
import tls from 'node:tls';
import type { Target } from './peers.js';

export async function rawFetchAll(t: Target, folders: string[], ca: string): Promise<number> {
  const socket = tls.connect({ host: t.host, port: t.port, ca });
  let buffer = '';
  let bytes = 0;
  let waiting: { tag: string; resolve: () => void; reject: (e: Error) => void } | undefined;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    // Only the tail matters for the tagged reply; keep the buffer small.
    buffer = (buffer + chunk.toString('latin1')).slice(-4096);
    if (waiting && new RegExp(`(^|\\r\\n)${waiting.tag} (OK|NO|BAD)`).test(buffer)) {
      const w = waiting;
      waiting = undefined;
      if (/ OK/.test(buffer.slice(buffer.lastIndexOf(`${w.tag} `)))) w.resolve();
      else w.reject(new Error(buffer.slice(-300)));
    }
  });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  let n = 0;
  const cmd = (line: string) => new Promise<void>((resolve, reject) => {
    const tag = `a${++n}`;
    buffer = '';
    waiting = { tag, resolve, reject };
    socket.write(`${tag} ${line}\r\n`);
  });
  await cmd(`LOGIN "${t.user}" "${t.password}"`);
  for (const f of folders) {
    await cmd(`EXAMINE "${f}"`);
    await cmd('UID FETCH 1:* BODY.PEEK[]');
  }
  await cmd('LOGOUT').catch(() => undefined);
  socket.destroy();
  return bytes;
}
