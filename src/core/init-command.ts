import path from 'node:path';

/** A POSIX shell word: as it is when it holds nothing a shell reads, else in single quotes. */
export const posixQuote = (p: string): string => (/^[A-Za-z0-9_./:@+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);

/**
 * A path as it must be typed to arrive whole: as it is when it holds nothing a shell reads; else
 * in double quotes for cmd.exe (where `&` outside them ends the command, and `,` `;` `=` end the
 * program's name; PowerShell reads `,` as a list), in single quotes for
 * POSIX shells (where `$`, backquotes and `!` act even inside double ones).
 */
export const quoteArg = (p: string, platform: NodeJS.Platform = process.platform): string =>
  platform === 'win32'
    ? (/^[A-Za-z0-9_./:\\@+-]+$/.test(p) ? p : `"${p}"`)
    : posixQuote(p);

/**
 * What the admin types: the single-file executable by its full path (the messages also travel by
 * mail, and its folder is seldom on PATH); the npm package by its command name.
 */
export function programName(binaryDir: string | undefined, execPath = process.execPath, platform: NodeJS.Platform = process.platform): string {
  return binaryDir ? quoteArg(execPath, platform) : 'imap-backup-tool';
}

/** The `init` that completes the configuration at `configPath`; plain `init` when it finds that one by itself. */
export function initCommand(program: string, configPath?: string): string {
  return configPath === undefined ? `${program} init` : `${program} init --config ${quoteArg(configPath)}`;
}

/**
 * A command inside a sentence: in double quotes when it is plain words, so that where it ends is
 * plain; as it is when it holds quoting of its own (a path with a space, in ' for POSIX shells or
 * " for cmd.exe), since quotes around quotes are copied with it and the shell then reads the whole
 * line as one word.
 */
export const shownCommand = (cmd: string): string => (/['"]/.test(cmd) ? `${cmd}${powershellNote(cmd)}` : `"${cmd}"`);

/**
 * What PowerShell needs for a command whose program is in double quotes (cmd.exe's quoting of an
 * executable path with a space): PowerShell reads a line that starts with a quoted string as that
 * string, so `"C:\Program Files\…\x.exe" check` stops at "Unexpected token 'check'", and only
 * `& "C:\…\x.exe" check` runs it; cmd.exe in turn refuses a line that starts with `&`. No one line
 * serves both shells (found in review: Windows Server admins often work in PowerShell).
 */
export const powershellNote = (cmd: string): string => (cmd.startsWith('"') ? ' (in PowerShell, put & and a space before it)' : '');
