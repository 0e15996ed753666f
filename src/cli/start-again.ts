import fs from 'node:fs';
import { isSea } from 'node:sea';
import { allocatorReexec } from './allocator.js';

// Imported first by cli.ts, so the restart happens before the rest of the program is loaded.
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
if (plan && execve) {
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
