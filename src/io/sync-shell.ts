import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';

/** syncfs(2) of the file systems that hold `dirs`; resolves once they are written back. */
export type SyncFs = (dirs: string[]) => Promise<void>;

/**
 * Reads a line per request, runs `sync -f` (coreutils) on the folders it was started with and
 * answers 0 or 1. The folders are its arguments, never read from the pipe: no name can be taken
 * for an option or split in two.
 */
const LOOP = 'while read -r _; do if sync -f -- "$@"; then echo 0; else echo 1; fi; done';

/**
 * One small shell per file system, started once, runs `sync -f` for each batch. Starting `sync`
 * from this process copied its page tables every time: 2.5-4.4 ms of the main thread per batch at
 * ~100 MB, 103 ms of a 10,000-message backup (31 batches); the shell's own start of it is cheap.
 * In a process group of its own, so the terminal's Ctrl+C (which the run handles) does not reach
 * it; it ends when this process closes its input, or dies.
 */
class SyncShell {
  private readonly child: ChildProcess;
  private readonly answers: Array<(ok: boolean) => void> = [];
  private read = '';
  gone = false;

  constructor(dir: string) {
    this.child = spawn('/bin/sh', ['-c', LOOP, 'sh', dir], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    const fail = () => {
      this.gone = true;
      for (const answer of this.answers.splice(0)) answer(false);
    };
    this.child.once('error', fail).once('exit', fail);
    this.child.stdin?.on('error', fail);
    this.child.stdout?.setEncoding('latin1').on('data', (text: string) => {
      this.read += text;
      for (let nl = this.read.indexOf('\n'); nl >= 0; nl = this.read.indexOf('\n')) {
        const ok = this.read.slice(0, nl) === '0';
        this.read = this.read.slice(nl + 1);
        this.answers.shift()?.(ok);
      }
      if (this.answers.length === 0) this.idle();
    });
    this.idle();
  }

  sync(): Promise<void> {
    if (this.gone) return Promise.reject(new Error('sync -f is not running'));
    // Held open only while a request waits: an idle shell must not keep the process alive.
    this.child.ref();
    (this.child.stdout as Readable & { ref?: () => void }).ref?.();
    return new Promise((resolve, reject) => {
      this.answers.push((ok) => (ok ? resolve() : reject(new Error('sync -f failed'))));
      this.child.stdin?.write('\n');
    });
  }

  close(): void {
    this.gone = true;
    this.child.stdin?.end();
  }

  get pid(): number | undefined {
    return this.gone ? undefined : this.child.pid;
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as Readable & { unref?: () => void }).unref?.();
    (this.child.stdin as { unref?: () => void } | null)?.unref?.();
  }
}

const shells = new Map<number, SyncShell>();
const devices = new Map<string, number>();

const deviceOf = async (dir: string): Promise<number> => {
  let dev = devices.get(dir);
  if (dev === undefined) devices.set(dir, (dev = (await fs.promises.stat(dir)).dev));
  return dev;
};

/** The default SyncFs: the shell of each file system among `dirs` flushes it. */
export const syncFileSystems: SyncFs = async (dirs) => {
  const byDevice = new Map<number, string>();
  for (const [i, dev] of (await Promise.all(dirs.map(deviceOf))).entries()) if (!byDevice.has(dev)) byDevice.set(dev, dirs[i] as string);
  await Promise.all([...byDevice].map(async ([dev, dir]) => {
    const running = shells.get(dev);
    if (running && !running.gone) {
      try {
        return await running.sync();
      } catch {
        // Its folder may be gone (renamed, removed): once more, from a folder of this batch.
        running.close();
      }
    }
    const shell = new SyncShell(dir);
    shells.set(dev, shell);
    return shell.sync();
  }));
};

/** Starts the shell of `dir`'s file system if none runs; a folder that cannot be read is left to syncFileSystems. */
export function warmSyncShell(dir: string): void {
  deviceOf(dir).then((dev) => {
    const running = shells.get(dev);
    if (!running || running.gone) shells.set(dev, new SyncShell(dir));
  }, () => undefined);
}

/** The shells running now, by process ID: for tests. */
export function syncShellPids(): number[] {
  return [...shells.values()].flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
}
