import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { defineCommand } from 'citty';
import {
  SCHTASKS_TR_MAX, cmdMayDelayExpand, cmdMayExpand, hhmm, launchdInstructions, parseTime, schtasksArgs, schtasksCommandLine, systemdInstructions, unschedulablePath, type ScheduleSpec,
} from '../core/schedule.js';
import { locateConfig } from '../io/config-files.js';
import { EXIT } from '../cli/exit-codes.js';
import { sharedArgs } from '../cli/context.js';
import { binaryDir } from '../cli/program.js';

type Platform = 'windows' | 'linux' | 'macos';

const usageError = (message: string) => Object.assign(new Error(message), { name: 'CLIError' });

export default defineCommand({
  meta: { name: 'schedule', description: 'Print how to run a backup every day (Task Scheduler, systemd, cron); --install on Windows' },
  args: {
    config: sharedArgs.config,
    time: { type: 'string', description: 'Time of day of the run, 24-hour HH:MM', default: '02:00', valueHint: 'HH:MM' },
    name: { type: 'string', description: 'Name of the task, unit or job', default: 'imap-backup-tool' },
    user: { type: 'string', description: 'Windows: account the task runs as (schtasks asks for its password); default SYSTEM', valueHint: 'DOMAIN\\user' },
    platform: { type: 'string', description: 'Print for windows, linux or macos instead of this system', valueHint: 'os' },
    install: { type: 'boolean', description: 'Windows: register the task now with schtasks (from an elevated prompt)', default: false },
  },
  run({ args }) {
    const time = parseTime(args.time);
    if (!time) throw usageError(`--time "${args.time}" is not a time of day; use 24-hour HH:MM, e.g. --time 02:30`);
    // The name goes unquoted into the printed schtasks lines and into systemd's and launchd's file names.
    if (!/^[A-Za-z0-9._-]+$/.test(args.name)) throw usageError(`--name "${args.name}" may hold only letters, digits, '.', '_' and '-' (it names a scheduled task, a systemd unit and a launchd job); e.g. --name ${args.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'imap-backup-tool'}`);
    const platform = pickPlatform(args.platform);
    if (args.install && (platform !== 'windows' || process.platform !== 'win32')) {
      throw usageError('--install registers a Windows Task Scheduler job and works on Windows only; elsewhere install the lines printed without it');
    }
    const spec: ScheduleSpec = {
      command: binaryDir() ? [process.execPath] : [process.execPath, path.resolve(process.argv[1] ?? 'imap-backup-tool')],
      configPath: locateConfig(args.config, binaryDir()),
      ...time,
      name: args.name,
      user: args.user,
    };
    const broken = unschedulablePath(spec);
    if (broken !== undefined) throw usageError(`${JSON.stringify(broken)}: the name of a folder in this path holds a line break, which no scheduler line can carry; rename the folder and run schedule again`);
    const out = (text: string) => process.stdout.write(`${text}\n`);
    if (platform === 'windows') return windows(spec, args.install, out);
    out(platform === 'macos' ? launchdInstructions(spec) : systemdInstructions(spec));
    return EXIT.ok;
  },
});

function pickPlatform(requested: string | undefined): Platform {
  if (requested === undefined) return process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'macos' : 'linux';
  const p = requested.toLowerCase();
  if (p === 'windows' || p === 'linux' || p === 'macos') return p;
  throw usageError(`--platform "${requested}" is not one of windows, linux, macos`);
}

function windows(spec: ScheduleSpec, install: boolean, out: (t: string) => void): number {
  const tr = schtasksArgs(spec)[4] ?? '';
  out(`Task Scheduler job "${spec.name}": every day at ${hhmm(spec)}, as ${spec.user ?? 'SYSTEM'}, running`);
  out(`  ${tr}`);
  out('');
  out('Task Scheduler starts programs in C:\\Windows\\System32, and schtasks has no start-in folder, so the');
  out('task passes the absolute path of configuration.yml: every relative path in it resolves from its folder.');
  if (tr.length > SCHTASKS_TR_MAX) out(`\nWarning: the command is ${tr.length} characters; schtasks refuses more than ${SCHTASKS_TR_MAX}. Move the folder to a shorter path.`);
  if (!install) {
    out('\nRun this in an elevated Command Prompt (cmd.exe, not PowerShell), or run schedule again with --install:\n');
    out(schtasksCommandLine(spec));
    if (cmdMayExpand(spec)) {
      out('\nWarning: the command above contains %. cmd.exe may replace %NAME% with an environment variable\'s value,');
      out('and inside quotes nothing stops it. Run schedule again with --install instead (it runs schtasks');
      out('without cmd.exe), or move the folder to a path without %.');
    }
    if (cmdMayDelayExpand(spec)) {
      out('\nWarning: the command above contains !. A Command Prompt with delayed expansion on (cmd /V:ON, or');
      out('DelayedExpansion set in the registry) replaces !NAME! with a variable\'s value and drops a lone ! and');
      out('every ^. It is off by default: paste the line into a prompt started with cmd /V:OFF (the switch');
      out('overrides the registry), or run schedule again with --install.');
    }
    out(`\nTest it now: schtasks /Run /TN ${spec.name}    Remove it: schtasks /Delete /TN ${spec.name} /F`);
    return EXIT.ok;
  }
  const r = spawnSync('schtasks', schtasksArgs(spec), { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`schtasks failed (${r.error?.message ?? `exit code ${r.status}`}); run it from an elevated prompt ("Run as administrator").\n`);
    return EXIT.partial;
  }
  out(`\nRegistered. Test it now: schtasks /Run /TN ${spec.name}`);
  return EXIT.ok;
}
