import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from './state-store.js';

/**
 * The archives this process folder's runs started, by the second in their names, kept in its
 * state folder until rolling has looked at the output folder. A `.partial` of one of them is a
 * dead run's (the run holding the lock finished its own); any other may be another configuration's
 * archive being written into a shared output folder, and is only deleted once it is stale.
 */
const file = (processFolder: string) => path.join(processFolder, STATE_DIR, 'archiving');

/** Written before the `.partial` is created, so a run killed at any point has its leftover noted. */
export async function noteArchiving(processFolder: string, stamp: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file(processFolder)), { recursive: true, mode: 0o700 });
  await fs.promises.appendFile(file(processFolder), `${stamp}\n`, { mode: 0o600 });
}

export async function readArchiving(processFolder: string): Promise<Set<string>> {
  try {
    return new Set((await fs.promises.readFile(file(processFolder), 'utf8')).split('\n').filter((l) => l !== ''));
  } catch {
    return new Set();
  }
}

export async function forgetArchiving(processFolder: string): Promise<void> {
  await fs.promises.rm(file(processFolder), { force: true });
}
