import { createRequire } from 'node:module';
import path from 'node:path';
import { programName, quoteArg } from '../core/init-command.js';

/** The folder of the single-file executable, where its configuration.yml is expected. */
export function binaryDir(): string | undefined {
  try {
    const sea = createRequire(process.execPath)('node:sea') as { isSea(): boolean };
    return sea.isSea() ? path.dirname(process.execPath) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `sub` (a command and its flags) as the admin types it on this machine: the executable by its
 * full path, and `--config` when given, so that it works from any folder and for any configuration.
 */
export function commandLine(sub: string, configPath?: string): string {
  return `${programName(binaryDir())} ${sub}${configPath === undefined ? '' : ` --config ${quoteArg(configPath)}`}`;
}
