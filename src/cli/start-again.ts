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
});
if (plan && execve) {
  try {
    execve.call(process, plan.file, plan.args, plan.env);
  } catch {
    // Not replaced (no permission to execute, an odd file system): run on as we are.
  }
}
