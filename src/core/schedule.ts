import { posixQuote } from './init-command.js';

/**
 * The lines that make the operating system's scheduler run a backup once a day. Pure text builders:
 * the `schedule` command prints them, and on Windows runs the schtasks one.
 *
 * Every scheduler here starts the program somewhere other than its folder (Task Scheduler in
 * C:\Windows\System32, cron in the home folder, systemd and launchd in /), and schtasks /TR has no
 * start-in field at all. So each line passes the absolute path of configuration.yml, and every
 * relative path inside it resolves from that file's folder: no working directory is needed.
 */
export interface ScheduleSpec {
  /** The program and its fixed leading arguments: [exe] for the binary, [node, cli.cjs] otherwise. */
  command: string[];
  /** Absolute path of configuration.yml. */
  configPath: string;
  hour: number;
  minute: number;
  /** Task / unit / job name. */
  name: string;
  /** Windows account the task runs as; undefined = SYSTEM. */
  user?: string | undefined;
}

/**
 * The path a scheduler line cannot carry: one with a line break. Unit files, crontabs and the schtasks
 * prompt line all end an entry at a line break, so such a path would be cut in two (and in the printed
 * text could fake a block's end line).
 */
export function unschedulablePath(s: ScheduleSpec): string | undefined {
  return [...s.command, s.configPath].find((p) => /[\r\n]/.test(p));
}

/** "2:00", "02:00", "23:59" → hour and minute; anything else → undefined. */
export function parseTime(text: string): { hour: number; minute: number } | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

const words = (s: ScheduleSpec) => [...s.command, '--config', s.configPath];
const isFlag = (a: string) => /^--?[A-Za-z-]+$/.test(a);
export const hhmm = (s: ScheduleSpec): string => `${String(s.hour).padStart(2, '0')}:${String(s.minute).padStart(2, '0')}`;

/**
 * One argument as the Microsoft C runtime parses it back (CommandLineToArgvW rules), which is also how
 * Node's spawn quotes on Windows: the printed command and the one --install runs are the same.
 */
export function quoteWindowsArg(arg: string, always = false): string {
  if (arg !== '' && !always && !/[\s"]/.test(arg)) return arg;
  let out = '"';
  let backslashes = 0;
  for (const ch of arg) {
    if (ch === '\\') {
      backslashes++;
      continue;
    }
    out += ch === '"' ? `${'\\'.repeat(backslashes * 2 + 1)}"` : `${'\\'.repeat(backslashes)}${ch}`;
    backslashes = 0;
  }
  return `${out}${'\\'.repeat(backslashes * 2)}"`;
}

/** Task Scheduler reads /TR as a program path and its arguments; more than 261 characters is refused. */
export const SCHTASKS_TR_MAX = 261;

export function schtasksArgs(s: ScheduleSpec): string[] {
  const tr = words(s).map((a) => (isFlag(a) ? a : quoteWindowsArg(a, true))).join(' ');
  return ['/Create', '/TN', s.name, '/TR', tr, '/SC', 'DAILY', '/ST', hhmm(s), '/RU', s.user ?? 'SYSTEM', '/F'];
}

/**
 * The line an admin pastes into cmd.exe, which reads it before schtasks does. cmd knows no `\"`: it
 * toggles its quoted state at every `"`, so the paths between /TR's embedded \" quotes are outside
 * cmd's quotes, and an `&` there (C:\R&D) would end the command. A caret before each of & | < > ^
 * that cmd sees unquoted makes it literal; cmd drops the carets and hands schtasks the quoted line.
 */
export function schtasksCommandLine(s: ScheduleSpec): string {
  return escapeForCmd(['schtasks', ...schtasksArgs(s)].map((a) => quoteWindowsArg(a)).join(' '));
}

/** Carets only where cmd is unquoted: inside its quotes a caret is kept as a character. */
export function escapeForCmd(line: string): string {
  let out = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && '&|<>^'.includes(ch)) out += '^';
    out += ch;
  }
  return out;
}

/**
 * cmd.exe at its prompt replaces %NAME% with a variable's value, quoted or not, and inside quotes
 * has no escape for %: a line with one may not reach schtasks as printed.
 */
export function cmdMayExpand(s: ScheduleSpec): boolean {
  return schtasksArgs(s).some((a) => a.includes('%'));
}

/**
 * With delayed expansion on (cmd /V:ON, or DelayedExpansion in the registry; off by default) cmd.exe
 * reads a line with a `!` a second time, quoted or not: it replaces !NAME! with a variable's value and
 * drops a lone ! and every caret. No line reads right both ways: "off" hands schtasks what the first
 * reading gives, so that must hold the `!` already, and "on" then takes it. So the line is printed for
 * the default, and a `!` is flagged.
 */
export function cmdMayDelayExpand(s: ScheduleSpec): boolean {
  return schtasksArgs(s).some((a) => a.includes('!'));
}

/** A systemd ExecStart word: quoted, with systemd's own specifier (%) and variable ($) escapes. */
export function systemdQuote(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

export function systemdUnits(s: ScheduleSpec): { service: string; timer: string } {
  const exec = words(s).map((a) => (isFlag(a) ? a : systemdQuote(a))).join(' ');
  const service = [
    '[Unit]',
    `Description=imap-backup-tool: back up the mailboxes of ${s.configPath}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${exec}`,
    '# No WorkingDirectory needed: relative paths in the configuration resolve from its folder.',
    '# User=mailbackup',
    '',
  ].join('\n');
  const timer = [
    '[Unit]',
    `Description=Daily imap-backup-tool run at ${hhmm(s)}`,
    '',
    '[Timer]',
    `OnCalendar=*-*-* ${hhmm(s)}:00`,
    '# A run missed while the machine was off happens at the next boot.',
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}

/** A POSIX shell word; `%` is escaped because cron turns a bare one into a newline. */
export function cronQuote(arg: string): string {
  return posixQuote(arg).replace(/%/g, '\\%');
}

export function cronLine(s: ScheduleSpec): string {
  const cmd = words(s).map(cronQuote).join(' ');
  // The tool writes its own log file (and mails it), so cron need not mail the console's output;
  // but errors stay for cron to mail: a configuration whose logs path or notification settings are
  // themselves wrong stops a run before any log or mail.
  return `${s.minute} ${s.hour} * * * ${cmd} >/dev/null`;
}

/** One file (or the crontab line) between marker lines; they are comments in unit files and crontabs alike. */
const block = (name: string, body: string) => [`# ---- begin ${name} ----`, body.trimEnd(), `# ---- end ${name} ----`];

/**
 * What `schedule` prints for Linux: two alternatives, (A) systemd and (B) cron, each file and the cron
 * line between begin and end lines that name it. Printed one after the other before, the timer ran on
 * into the cron line, and an admin who copied the timer to the end of the output saved both.
 */
export function systemdInstructions(s: ScheduleSpec): string {
  const { service, timer } = systemdUnits(s);
  const unit = (ext: string) => `/etc/systemd/system/${s.name}.${ext}`;
  return [
    `# Two ways to run imap-backup-tool every day at ${hhmm(s)}; set up one of them, not both:`,
    '#   (A) systemd: save the two files below, then enable the timer;',
    '#   (B) cron: add the one crontab line at the end.',
    '# Each file, and the crontab line, is exactly the lines between its "# ---- begin" and "# ---- end"',
    '# lines. The markers are comments, so copying them too does no harm; copy nothing past an end line.',
    '',
    '# ==== (A) systemd, as root ====',
    `# Save as ${unit('service')}:`,
    ...block(unit('service'), service),
    '',
    `# Save as ${unit('timer')}:`,
    ...block(unit('timer'), timer),
    '',
    '# Then load both and start the timer:',
    `#   systemctl daemon-reload && systemctl enable --now ${s.name}.timer`,
    `# Next run: systemctl list-timers ${s.name}.timer    Its output: journalctl -u ${s.name}.service`,
    '',
    '# ==== (B) cron, instead of (A) ====',
    '# Add this line with crontab -e, as the user the backup runs as (root: sudo crontab -e):',
    ...block('crontab line', cronLine(s)),
  ].join('\n');
}

const xml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function launchdLabel(s: ScheduleSpec): string {
  return `local.${s.name.replace(/[^A-Za-z0-9.-]/g, '-')}`;
}

export function launchdPlist(s: ScheduleSpec): string {
  const args = words(s).map((a) => `    <string>${xml(a)}</string>`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    `  <key>Label</key>\n  <string>${xml(launchdLabel(s))}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args,
    '  </array>',
    '  <key>StartCalendarInterval</key>',
    `  <dict>\n    <key>Hour</key>\n    <integer>${s.hour}</integer>\n    <key>Minute</key>\n    <integer>${s.minute}</integer>\n  </dict>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/**
 * What `schedule` prints for macOS: the plist as one block from its <?xml line to </plist>, and the
 * instructions as # lines outside it. An XML declaration must be the very first thing in a file, so
 * text saved above it (the <!-- --> lines printed there before) made launchd refuse the plist.
 */
export function launchdInstructions(s: ScheduleSpec): string {
  const label = launchdLabel(s);
  const file = `${label}.plist`;
  const installed = `/Library/LaunchDaemons/${file}`;
  return [
    `# launchd: save the lines from <?xml to </plist> below, and nothing else, as ${file}`,
    `# (copy them, then: pbpaste > ${file}). Check it, install it owned by root, and load it:`,
    `#   plutil -lint ${file}`,
    `#   sudo install -m 644 -o root -g wheel ${file} /Library/LaunchDaemons/`,
    `#   sudo launchctl bootstrap system ${installed}`,
    '',
    launchdPlist(s).trimEnd(),
    '',
    `# Test it now: sudo launchctl kickstart system/${label}`,
    `# Remove it:   sudo launchctl bootout system/${label} && sudo rm ${installed}`,
    '',
    '# Or cron instead (crontab -e):',
    cronLine(s),
  ].join('\n');
}
