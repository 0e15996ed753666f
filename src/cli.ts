import { defineCommand, runCommand, renderUsage, type ArgsDef, type CommandDef } from 'citty';
import { argProblem } from './cli/arg-check.js';
import { describeError } from './core/errors.js';
import { ConfigError } from './core/errors.js';
import { programName, shownCommand } from './core/init-command.js';
import { redactSecrets } from './core/redact.js';
import { binaryDir } from './cli/program.js';
import { EXIT, exitCodeForError, wasReported } from './cli/exit-codes.js';
import { VERSION } from './version.js';

const main = defineCommand({
  meta: { name: 'imap-backup-tool', version: VERSION, description: 'Incremental IMAP backup to .eml files, ZIP archives and a report by e-mail' },
  subCommands: {
    run: () => import('./commands/run.js').then((m) => m.default),
    check: () => import('./commands/check.js').then((m) => m.default),
    notify: () => import('./commands/notify.js').then((m) => m.default),
    init: () => import('./commands/init.js').then((m) => m.default),
    schedule: () => import('./commands/schedule.js').then((m) => m.default),
    verify: () => import('./commands/verify.js').then((m) => m.default),
    unlock: () => import('./commands/unlock.js').then((m) => m.default),
    restore: () => import('./commands/restore.js').then((m) => m.default),
  },
});

async function loadSubCommand(name: string): Promise<CommandDef | undefined> {
  const subs = main.subCommands as Record<string, () => Promise<CommandDef>>;
  return subs[name] ? subs[name]() : undefined;
}

/** Our own error handling around citty, so every failure maps to a documented exit code. */
async function cli(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    const sub = argv[0] && !argv[0].startsWith('-') ? await loadSubCommand(argv[0]) : undefined;
    const usage = await renderUsage(sub ?? main, sub ? main : undefined);
    // citty colours its usage unconditionally; a redirected or scheduled run wants plain text.
    process.stdout.write(`${process.stdout.isTTY ? usage : usage.replace(/\x1b\[[0-9;]*m/g, '')}\n`);
    return EXIT.ok;
  }
  // No command (a scheduled task's usual line) means `run`; citty's own default would read the
  // first flag's value as a command name.
  const rawArgs = argv[0] === undefined || argv[0].startsWith('-') ? ['run', ...argv] : argv;
  try {
    // Dispatched here rather than by citty, which drops a subcommand's return value (our exit code).
    const sub = await loadSubCommand(rawArgs[0] as string);
    if (!sub) throw Object.assign(new Error(`Unknown command "${rawArgs[0]}"`), { name: 'CLIError' });
    const problem = argProblem(rawArgs.slice(1), (sub.args ?? {}) as ArgsDef);
    if (problem) throw Object.assign(new Error(problem), { name: 'CLIError' });
    const { result } = await runCommand(sub, { rawArgs: rawArgs.slice(1) });
    return typeof result === 'number' ? result : EXIT.ok;
  } catch (err) {
    const verbose = argv.includes('--verbose');
    if (err instanceof ConfigError || (err as { name?: string })?.name === 'CLIError') {
      // A run that logged its configuration's problems has printed them already. The others print
      // them here, through the same redaction: a passwordFile that is not found may be the password.
      const secrets = err instanceof ConfigError ? (err.salvage?.secrets ?? []) : [];
      if (!wasReported(err)) process.stderr.write(`${redactSecrets(err instanceof Error ? err.message : String(err), secrets)}\n`);
      if (!(err instanceof ConfigError)) {
        const help = `${programName(binaryDir())} ${rawArgs[0] && !rawArgs[0].startsWith('-') ? `${rawArgs[0]} ` : ''}--help`;
        process.stderr.write(`Run ${shownCommand(help)} for the commands and flags.\n`);
      }
      return EXIT.config;
    }
    if (!wasReported(err)) process.stderr.write(`${describeError(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeForError(err);
  }
}

// A stray rejection inside a network library must not end a backup that is otherwise going well;
// it is reported, and the run's own error handling decides the outcome.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`[warn] unexpected error outside the run: ${describeError(reason)}\n`);
});

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${describeError(err)}\n`);
    process.exit(1);
  },
);
