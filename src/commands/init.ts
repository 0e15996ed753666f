import fs from 'node:fs';
import path from 'node:path';
import { defineCommand } from 'citty';
import { EXIT } from '../cli/exit-codes.js';
import { binaryDir } from '../cli/program.js';
import { editStep } from '../cli/init-advice.js';
import { initPlan, type InitTarget } from '../cli/init-plan.js';
import { powershellNote, programName, quoteArg } from '../core/init-command.js';
import { danglingTarget } from '../io/config-files.js';

const usageError = (message: string) => Object.assign(new Error(message), { name: 'CLIError' });

export default defineCommand({
  meta: { name: 'init', description: 'Write the commented sample configuration files that are missing, beside the executable (never changes an existing file)' },
  args: {
    dir: { type: 'string', description: 'Folder to write them into (default: beside the executable, else the working directory)', valueHint: 'folder' },
    config: { type: 'string', description: 'The configuration to complete: its mailbox list is written beside it, under the name its common.mailboxList gives', valueHint: 'file' },
  },
  run({ args }) {
    if (args.dir !== undefined && args.config !== undefined) throw usageError('give --dir or --config, not both: --config names the folder too');
    if (args.config !== undefined && (/[\\/]$/.test(args.config) || fs.statSync(args.config, { throwIfNoEntry: false })?.isDirectory())) {
      // Found in review: `--config C:\MailBackup\` wrote the list into the folder above it.
      throw usageError(`--config names the configuration file, and ${path.resolve(args.config)} is a folder: use --dir ${quoteArg(path.resolve(args.config))}, or --config ${quoteArg(path.join(path.resolve(args.config), 'configuration.yml'))}`);
    }
    const configPath = args.config !== undefined
      ? path.resolve(args.config)
      : path.join(path.resolve(args.dir ?? binaryDir() ?? process.cwd()), 'configuration.yml');
    const exe = programName(binaryDir());
    const flag = args.dir !== undefined || args.config !== undefined ? ` --config ${quoteArg(configPath)}` : '';
    const { targets, notes } = initPlan(configPath, `${exe} check${flag}`, process.platform);
    // Each file on its own: the admin of the original tool has a configuration but may lack the
    // list, and a sample written beside an edited file is what they need, not a refusal.
    const done = targets.map((t) => ({ ...t, wrote: write(t, path.dirname(configPath)) }));
    const written = done.filter((t) => t.wrote);
    if (written.length === 0) return refuse(done, notes, args.config !== undefined);
    process.stdout.write([
      ...done.map((t) => (t.wrote ? `Wrote ${t.file}` : `Kept ${t.file}: ${danglingLink(t.file) ?? 'it exists'}, and init never changes an existing file.`)),
      ...notes,
      '',
      'Next:',
      `  1. ${editStep(written, targets.length, configPath, process.platform)}`,
      `  2. ${exe} check${flag}     logs in to every mailbox and lists its folders`,
      `  3. ${exe} schedule${flag}  prints the command that runs it every day`,
      ...(powershellNote(exe) ? ['  In PowerShell, put & and a space before each of these commands.'] : []),
      '',
    ].join('\n'));
    return EXIT.ok;
  },
});

/** Writes `t` unless its file exists; false when it does. `configDir`: the folder --dir or --config named. */
function write(t: InitTarget, configDir: string): boolean {
  // Notepad and its kin expect CRLF on Windows; the YAML reader takes either.
  const text = process.platform === 'win32' ? t.text.replace(/\r?\n/g, '\r\n') : t.text;
  try {
    fs.mkdirSync(path.dirname(t.file), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    // `mailboxList: configuration.yml/x.yml`: a file where the folder would go. The configuration's
    // own folder is the admin's --dir or --config (found in review: a --dir this account may not
    // create, or a drive that does not exist, was blamed on common.mailboxList).
    const fix = path.dirname(t.file) === configDir ? 'choose a folder this account can create or write to (--dir, or --config)' : 'check common.mailboxList';
    throw usageError(`cannot make the folder ${path.dirname(t.file)} for ${t.file} (${code}): ${fix}`);
  }
  try {
    // 'wx' is the existence check: a file that appears at the last moment is still never overwritten.
    fs.writeFileSync(t.file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function refuse(kept: InitTarget[], notes: string[], named: boolean): number {
  process.stderr.write([
    ...kept.map((t) => `${t.file} already exists${danglingLink(t.file)?.replace(/^it is/, ': it is') ?? ''}.`),
    ...notes,
    'init writes only missing files and never changes an existing one: nothing was written. Edit the',
    `existing files, move them away first, or pass ${named ? '--config <another file>' : '--dir <another folder>'}.`,
    '',
  ].join('\n'));
  return EXIT.config;
}

/** A link whose target is missing (a share not mounted): "exists" for 'wx', missing for a reader. */
function danglingLink(file: string): string | undefined {
  const target = danglingTarget(file);
  return target === undefined ? undefined : `it is a symbolic link to ${target}, which does not exist (mount or restore that, or remove the link and run init again)`;
}
