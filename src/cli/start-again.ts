import fs from 'node:fs';
import { isSea } from 'node:sea';
import { allocatorReexec } from './allocator.js';

/**
 * Starts the program again with malloc's threshold fixed (see allocator.ts), when it can; else
 * returns and the run goes on as it is. Call before anything is written, opened or connected:
 * nothing of this process survives but its PID and standard streams.
 */
export function startAgainForMalloc(): void {
  const execve = (process as { execve?: (file: string, args: string[], env: Record<string, string>) => never }).execve;
  const plan = allocatorReexec({
    platform: process.platform,
    env: process.env,
    execPath: process.execPath,
    execArgv: process.execArgv,
    argv: process.argv,
    isSea: isSea(),
    canExecve: typeof execve === 'function',
    ipc: process.channel !== undefined,
    executable: process.platform === 'linux' && canExecute(process.execPath),
  });
  if (!plan || !execve) return;
  try {
    execve.call(process, plan.file, plan.args, plan.env);
  } catch {
    // Only Node's own checks throw (a permission model, a worker thread); run on as we are.
  }
}

function canExecute(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
