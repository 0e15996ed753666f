import path from 'node:path';

/** A path as typed on a command line (cmd.exe and POSIX shells both take double quotes). */
export const quoteArg = (p: string): string => (/\s/.test(p) ? `"${p}"` : p);

/** What the admin types: the single-file executable goes by its own file name, not the package's. */
export function programName(binaryDir: string | undefined, execPath = process.execPath): string {
  return binaryDir ? path.basename(execPath) : 'imap-backup-tool';
}

/** The `init` that completes the configuration at `configPath`; plain `init` when it finds that one by itself. */
export function initCommand(program: string, configPath?: string): string {
  return configPath === undefined ? `${program} init` : `${program} init --config ${quoteArg(configPath)}`;
}

/** A command inside a sentence: in double quotes, unless it already holds some (a quoted path). */
export const shownCommand = (cmd: string): string => (cmd.includes('"') ? cmd : `"${cmd}"`);
