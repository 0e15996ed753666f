import { flagGiven } from '../core/v8-flags.js';

/**
 * glibc's malloc raises its mmap threshold every time it frees a large buffer it had mmapped (up
 * to 32 MiB). From then on it serves buffers below that size, a message body, a socket read, from
 * its main heap, which only shrinks from the top: over a long backup the heap grows with the
 * mailbox instead of staying flat. Measured on 100,000 messages (Linux binary): main heap
 * 20 -> 46 MB over the run, peak RSS 151 MB; with the threshold fixed at 128 KiB the heap stays at
 * 23-26 MB and the peak is 136 MB.
 *
 * malloc reads its tunables once, at start-up, so the executable starts itself again with
 * GLIBC_TUNABLES set: `process.execve` replaces the process (same PID, no parent waiting, the same
 * standard streams) once the configuration is read, before the log, the lock or any connection.
 * It costs a second start-up (~40-70 ms), so only runs that pay it back do it (steadyHeapPays).
 * Where the admin set a malloc
 * tunable (any `glibc.malloc.` setting in GLIBC_TUNABLES, which is also how to turn this off), where
 * `process.execve` is missing (Node < 22.15), off Linux, under a parent's IPC channel, or when the
 * file cannot be executed again, nothing happens.
 */
export const MALLOC_TUNABLE = 'glibc.malloc.mmap_threshold=131072';

/**
 * The V8 flags the executable's blob carries (build/sea.mjs, where they are measured). Plain node
 * takes them too when it restarts for malloc (Linux, Node 22.15 and later), so `node cli.cjs` then
 * runs as the executable does; a flag the admin set (command line or NODE_OPTIONS, either
 * spelling) is theirs, and its own is left out. The old generation's growth step is set at run
 * time, once a run proves large (expectItems in src/io/memory.ts).
 */
export const V8_FLAGS = ['--max-semi-space-size=2'] as const;

/**
 * Whether a run is large enough for the fixed threshold to pay for starting again. Measured:
 * a first backup of 100,000 messages peaks at 133-135 MB with it, 147 MB without; the zip stage of
 * 14,600 messages at 144-149 MB against 156-157 MB. A run after an earlier one downloads only
 * what is new: its heap never grows far, and the second start-up (~35 ms, a tenth of a run with
 * 100 new messages) would be most of what it spends. After cleanProcessFolder the state is gone,
 * so that run is a first backup again. Pure.
 */
export function steadyHeapPays(run: { dryRun: boolean; archiveToZip: boolean; firstBackup: boolean }): boolean {
  return !run.dryRun && (run.archiveToZip || run.firstBackup);
}

export interface ProcessFacts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  execPath: string;
  execArgv: string[];
  argv: string[];
  isSea: boolean;
  canExecve: boolean;
  /** Started by a parent with an IPC channel, which would not survive the restart. */
  ipc: boolean;
  /** execPath can be executed again (not deleted since, not merely readable). */
  executable: boolean;
}

export interface Reexec {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** Whether and how to start again with the malloc tunable. Pure. */
export function allocatorReexec(p: ProcessFacts): Reexec | undefined {
  // Node aborts the process when execve itself fails, so every case where it would is left out.
  if (p.platform !== 'linux' || !p.canExecve || p.ipc || !p.executable) return undefined;
  // Started through the dynamic loader (a noexec mount): execPath is the loader, not the tool.
  if (/^ld[-.].*\.so/.test(p.execPath.slice(p.execPath.lastIndexOf('/') + 1)) || p.execPath.endsWith(' (deleted)')) return undefined;
  const tunables = p.env['GLIBC_TUNABLES'];
  if (tunables?.includes('glibc.malloc.')) return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.env)) if (v !== undefined) env[k] = v;
  env['GLIBC_TUNABLES'] = tunables ? `${tunables}:${MALLOC_TUNABLE}` : MALLOC_TUNABLE;
  // A single executable gets argv[1] = argv[0] from Node and its execArgv from its own blob;
  // plain node needs its flags and the script path again, and gets the blob's V8 flags.
  const ours = V8_FLAGS.filter((flag) => !flagGiven(flag.slice(0, flag.indexOf('=')), p.execArgv, p.env['NODE_OPTIONS']));
  const args = p.isSea ? [p.execPath, ...p.argv.slice(2)] : [p.execPath, ...ours, ...p.execArgv, ...p.argv.slice(1)];
  return { file: p.execPath, args, env };
}
