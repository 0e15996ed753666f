import { programName, quoteArg, shownCommand } from '../../src/core/init-command.js';
import { describe, expect, it } from 'vitest';
import {
  cmdMayDelayExpand, cmdMayExpand, cronLine, cronQuote, escapeForCmd, launchdInstructions, launchdLabel, launchdPlist, parseTime, quoteWindowsArg, schtasksArgs, schtasksCommandLine, systemdInstructions, systemdQuote, systemdUnits, unschedulablePath,
  type ScheduleSpec,
} from '../../src/core/schedule.js';
import { plistBlock, xmlProblems } from '../helpers/xml.js';
import { CMD_CASES, WIN } from '../helpers/schedule-fixtures.js';
import { markedBlocks, unitFileProblems, unitSections } from '../helpers/unit-file.js';

/** CommandLineToArgvW as documented (the MSVC runtime rules): what schtasks and the task's program see. */
function parseWindowsCommandLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const ch = line[i];
      if (ch === '\\') {
        let n = 0;
        while (line[i] === '\\') { n++; i++; }
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else { quoted = !quoted; }
        } else {
          arg += '\\'.repeat(n);
          i--;
        }
      } else if (ch === '"') quoted = !quoted;
      else if ((ch === ' ' || ch === '\t') && !quoted) break;
      else arg += ch;
    }
    out.push(arg);
  }
  return out;
}

/**
 * What cmd.exe makes of a line typed at its prompt before the program sees it: every `"` toggles its
 * quoted state (it knows no \"), and outside quotes a caret makes the next character literal and is
 * dropped. An unescaped & | < > outside quotes would split, pipe or redirect the command: refused here.
 * With delayed expansion on (cmd /V:ON), a line with a `!` is then read a second time (delayedExpansion).
 */
function throughCmd(line: string, { delayed = false } = {}): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '^') {
      i++;
      if (i >= line.length) throw new Error(`a caret ends the line, cmd would ask for more: ${line}`);
      out += line[i];
      continue;
    } else if (!quoted && '&|<>'.includes(ch)) throw new Error(`cmd.exe acts on the ${ch} at ${i}: ${line}`);
    out += ch;
  }
  return delayed ? delayedExpansion(out) : out;
}

/** The prompt's variables in the model; OS is set on every Windows. */
const CMD_ENV: Record<string, string> = { OS: 'Windows_NT', USERNAME: 'admin' };

/**
 * cmd.exe's second reading with delayed expansion on, which only a line holding a `!` gets: quoted or
 * not, a caret makes the next character literal and is dropped, !NAME! becomes the variable's value
 * (an undefined one stays as typed at the prompt; Wine's cmd agrees), and a lone ! is dropped.
 */
function delayedExpansion(text: string): string {
  if (!text.includes('!')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '^') out += text[++i] ?? '';
    else if (ch === '!') {
      const end = text.indexOf('!', i + 1);
      if (end < 0) continue;
      const name = text.slice(i + 1, end);
      out += CMD_ENV[name.toUpperCase()] ?? `!${name}!`;
      i = end;
    } else out += ch;
  }
  return out;
}

describe('parseTime', () => {
  it('accepts 24-hour times and rejects the rest', () => {
    expect(parseTime('02:00')).toEqual({ hour: 2, minute: 0 });
    expect(parseTime('2:30')).toEqual({ hour: 2, minute: 30 });
    expect(parseTime('23:59')).toEqual({ hour: 23, minute: 59 });
    for (const bad of ['24:00', '12:60', '2', '2pm', '02:00:00', '', '-1:00']) expect(parseTime(bad), bad).toBeUndefined();
  });
});

describe('Windows quoting', () => {
  it('round-trips awkward arguments through the CommandLineToArgvW rules', () => {
    const samples = ['plain', 'with space', 'say "hi"', 'C:\\dir\\', 'C:\\dir with space\\', 'a\\\\"b', '', 'tab\there', '\\\\server\\share\\x.yml'];
    const line = samples.map((s) => quoteWindowsArg(s)).join(' ');
    expect(parseWindowsCommandLine(line)).toEqual(samples);
    expect(quoteWindowsArg('plain')).toBe('plain');
    expect(quoteWindowsArg('plain', true)).toBe('"plain"');
  });

  it('schtasks gets a /TR that Task Scheduler splits back into the exe and an absolute --config', () => {
    const args = schtasksArgs(WIN);
    expect(args).toEqual(['/Create', '/TN', 'imap-backup-tool', '/TR', expect.any(String), '/SC', 'DAILY', '/ST', '02:00', '/RU', 'SYSTEM', '/F']);
    const tr = args[4] as string;
    expect(tr).toBe('"C:\\Program Files\\Mail Backup\\imap-backup-tool-win-x64.exe" --config "C:\\Program Files\\Mail Backup\\configuration.yml"');
    expect(parseWindowsCommandLine(tr)).toEqual([...WIN.command, '--config', WIN.configPath]);
    // The printed command line, parsed as schtasks parses its own, gives exactly these arguments.
    const line = schtasksCommandLine(WIN);
    expect(line).toBe(`schtasks /Create /TN imap-backup-tool /TR "\\"C:\\Program Files\\Mail Backup\\imap-backup-tool-win-x64.exe\\" --config \\"C:\\Program Files\\Mail Backup\\configuration.yml\\"" /SC DAILY /ST 02:00 /RU SYSTEM /F`);
    expect(parseWindowsCommandLine(line)).toEqual(['schtasks', ...args]);
  });

  it('runs as the given account and at the given time', () => {
    const args = schtasksArgs({ ...WIN, hour: 23, minute: 5, user: 'CONTOSO\\svc-backup', name: 'Mail backup' });
    expect(args.slice(7)).toEqual(['/ST', '23:05', '/RU', 'CONTOSO\\svc-backup', '/F']);
    expect(schtasksCommandLine({ ...WIN, name: 'Mail backup' })).toContain('/TN "Mail backup"');
  });

  // Found in review: `C:\R&D\...` sat outside cmd's quotes (it reads \" as a closing quote), so cmd ran
  // `schtasks ... C:\R` and then `D\imap-backup-tool.exe ...` as a second command.
  it('the printed line passes through cmd.exe unchanged: & | < > ^ outside its quotes are escaped', () => {
    for (const { change } of CMD_CASES) {
      const spec = { ...WIN, ...change };
      const line = schtasksCommandLine(spec);
      expect(line.startsWith('schtasks /Create ')).toBe(true);
      expect(parseWindowsCommandLine(throughCmd(line)), line).toEqual(['schtasks', ...schtasksArgs(spec)]);
      // With delayed expansion on, too, unless schedule warns about a !.
      if (!cmdMayDelayExpand(spec)) expect(parseWindowsCommandLine(throughCmd(line, { delayed: true })), line).toEqual(['schtasks', ...schtasksArgs(spec)]);
    }
    expect(schtasksCommandLine({ ...WIN, configPath: 'C:\\R&D\\configuration.yml' })).toContain(' --config \\"C:\\R^&D\\configuration.yml\\""');
    // Inside cmd's quotes a caret would stay, so none is added there.
    expect(schtasksCommandLine({ ...WIN, user: 'R&D team\\svc' })).toContain('/RU "R&D team\\svc" /F');
    expect(schtasksCommandLine({ ...WIN, user: 'R&D\\svc' })).toContain('/RU R^&D\\svc /F');
  });

  it('cmd escaping holds for any mix of quotes, spaces, backslashes and metacharacters', () => {
    // A fixed-seed generator: the same strings every run, many more shapes than the table.
    let seed = 12345;
    // 32-bit arithmetic and the high bits: seed * 1103515245 in doubles lost its low bits, and the
    // low bits of such a generator cycle, so the strings had no quote, backslash, <, > or ! at all.
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 16;
    };
    const alphabet = ['a', ' ', '"', '\\', '&', '|', '<', '>', '^', '(', ')', '!'];
    const word = () => Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join('');
    const seen = new Set<string>();
    let changedByDelayed = 0;
    for (let n = 0; n < 2000; n++) {
      const spec = { ...WIN, command: [`C:\\${word()}\\x.exe`], configPath: `C:\\${word()}\\${word()}` };
      const want = ['schtasks', ...schtasksArgs(spec)];
      expect(parseWindowsCommandLine(throughCmd(schtasksCommandLine(spec)))).toEqual(want);
      for (const ch of `${spec.command[0]}${spec.configPath}`) seen.add(ch);
      // Delayed expansion on: the same arguments, or a line schedule warns about.
      const delayed = parseWindowsCommandLine(throughCmd(schtasksCommandLine(spec), { delayed: true }));
      if (JSON.stringify(delayed) !== JSON.stringify(want)) {
        changedByDelayed++;
        expect(cmdMayDelayExpand(spec), schtasksCommandLine(spec)).toBe(true);
      }
    }
    expect([...seen].sort()).toEqual([...alphabet, 'C', ':', '.', 'e', 'x'].sort());
    expect(changedByDelayed).toBeGreaterThan(100);
    expect(escapeForCmd('a&b "c&d" e^f')).toBe('a^&b "c&d" e^^f');
  });

  it('a % anywhere is flagged: cmd.exe may expand it and cannot be told not to inside quotes', () => {
    expect(cmdMayExpand(WIN)).toBe(false);
    expect(cmdMayExpand({ ...WIN, configPath: 'C:\\100%\\configuration.yml' })).toBe(true);
    expect(cmdMayExpand({ ...WIN, command: ['C:\\%USERNAME%\\x.exe'] })).toBe(true);
    expect(cmdMayExpand({ ...WIN, user: 'svc%1' })).toBe(true);
  });

  // Found in review: ! was neither escaped nor flagged. Delayed expansion is off by default, but where
  // it is on (cmd /V:ON, the DelayedExpansion registry value) a path with ! reached schtasks changed.
  it('a ! anywhere is flagged: with delayed expansion on, cmd.exe takes it and the carets', () => {
    expect(cmdMayDelayExpand(WIN)).toBe(false);
    expect(cmdMayDelayExpand({ ...WIN, user: 'R&D team\\svc' })).toBe(false);
    const table: Array<[Partial<ScheduleSpec>, string]> = [
      [{ configPath: 'C:\\Hey!\\configuration.yml' }, 'C:\\Hey\\configuration.yml'],
      [{ configPath: 'C:\\!OS!\\configuration.yml' }, 'C:\\Windows_NT\\configuration.yml'],
      [{ configPath: 'C:\\R&D!\\a^b\\configuration.yml' }, 'C:\\R&D\\ab\\configuration.yml'],
    ];
    for (const [change, arrives] of table) {
      const spec = { ...WIN, ...change };
      expect(cmdMayDelayExpand(spec)).toBe(true);
      const line = schtasksCommandLine(spec);
      // As printed, right with delayed expansion off, the default ...
      expect(parseWindowsCommandLine(throughCmd(line))[5]).toContain(`"${spec.configPath}"`);
      // ... and changed with it on.
      expect(parseWindowsCommandLine(throughCmd(line, { delayed: true }))[5]).toContain(`"${arrives}"`);
    }
    expect(cmdMayDelayExpand({ ...WIN, command: ['C:\\Yahoo!\\x.exe'] })).toBe(true);
    expect(cmdMayDelayExpand({ ...WIN, user: 'svc!1' })).toBe(true);
  });

  it('a node + script command keeps both paths quoted', () => {
    const tr = schtasksArgs({ ...WIN, command: ['C:\\node\\node.exe', 'C:\\app\\dist\\cli.cjs'] })[4] as string;
    expect(parseWindowsCommandLine(tr)).toEqual(['C:\\node\\node.exe', 'C:\\app\\dist\\cli.cjs', '--config', WIN.configPath]);
  });
});

const LINUX: ScheduleSpec = { command: ['/opt/mail backup/imap-backup-tool-linux-x64'], configPath: '/opt/mail backup/configuration.yml', hour: 2, minute: 30, name: 'imap-backup-tool' };

describe('systemd', () => {
  it('quotes ExecStart words and escapes specifiers and variables', () => {
    expect(systemdQuote('/opt/100%/$HOME "x"\\y')).toBe('"/opt/100%%/$$HOME \\"x\\"\\\\y"');
    const { service, timer } = systemdUnits(LINUX);
    expect(service).toContain('ExecStart="/opt/mail backup/imap-backup-tool-linux-x64" --config "/opt/mail backup/configuration.yml"\n');
    expect(service).toContain('Type=oneshot');
    expect(service).not.toMatch(/^WorkingDirectory=/m);
    expect(timer).toContain('OnCalendar=*-*-* 02:30:00\n');
    expect(timer).toContain('Persistent=true');
    expect(timer).toContain('WantedBy=timers.target');
  });
});

describe('Linux instructions', () => {
  // Found in review: the service, the timer and the cron line ran on in one stream, so the timer copied
  // to the end of the output took the cron line with it.
  it('(A) systemd or (B) cron; each file and the cron line one marked block, cut out as the text says', () => {
    const table: ScheduleSpec[] = [
      LINUX,
      { ...LINUX, configPath: `/srv/O'Neil 100% $HOME "q"/configuration.yml`, name: 'Mail.Backup_2', hour: 23, minute: 59 },
      { ...LINUX, command: ['/usr/bin/node', '/opt/# ---- end crontab line ----/cli.cjs'] },
    ];
    for (const spec of table) {
      const out = systemdInstructions(spec);
      expect(out).toContain('set up one of them, not both:\n#   (A) systemd');
      expect(out).toContain('\n#   (B) cron');
      expect(out).toContain('is exactly the lines between its "# ---- begin" and "# ---- end"\n# lines.');
      const { blocks, outside, problems } = markedBlocks(out);
      expect(problems).toEqual([]);
      const service = `/etc/systemd/system/${spec.name}.service`;
      const timer = `/etc/systemd/system/${spec.name}.timer`;
      expect(blocks.map((b) => b.name)).toEqual([service, timer, 'crontab line']);
      const [serviceText, timerText, cronText] = blocks.map((b) => b.lines.join('\n'));
      const units = systemdUnits(spec);
      expect(serviceText).toBe(units.service.trimEnd());
      expect(timerText).toBe(units.timer.trimEnd());
      expect(cronText).toBe(cronLine(spec));
      for (const unit of [serviceText, timerText] as string[]) {
        expect(unitFileProblems(unit)).toEqual([]);
        expect(unit).not.toMatch(/^\d+ \d+ \* \* \* /m);
        expect(unit.split('\n')).not.toContain(cronLine(spec));
      }
      expect(unitSections(serviceText ?? '')).toEqual(['Unit', 'Service']);
      expect(unitSections(timerText ?? '')).toEqual(['Unit', 'Timer', 'Install']);
      // Copied with its marker lines, a file reads the same: they are comments.
      expect(unitFileProblems(`# ---- begin ${timer} ----\n${timerText}\n# ---- end ${timer} ----`)).toEqual([]);
      // Where each file goes, and the commands that enable the timer.
      expect(out).toContain(`# Save as ${service}:\n# ---- begin ${service} ----\n`);
      expect(out).toContain(`# Save as ${timer}:\n# ---- begin ${timer} ----\n`);
      expect(out).toContain(`\n#   systemctl daemon-reload && systemctl enable --now ${spec.name}.timer\n`);
      expect(out).toContain('# Add this line with crontab -e');
      // Outside the blocks only comments and blank lines.
      for (const line of outside) expect(line === '' || line.startsWith('# '), line).toBe(true);
    }
  });

  it('a path with a line break is unschedulable: no unit file, crontab or prompt line can carry it', () => {
    expect(unschedulablePath(LINUX)).toBeUndefined();
    expect(unschedulablePath({ ...LINUX, configPath: '/srv/a\nb/configuration.yml' })).toBe('/srv/a\nb/configuration.yml');
    expect(unschedulablePath({ ...LINUX, command: ['/usr/bin/node', '/opt/x\r/cli.cjs'] })).toBe('/opt/x\r/cli.cjs');
  });

  it('the checks find a timer run on into the cron line, and markers that do not pair up', () => {
    const { timer } = systemdUnits(LINUX);
    expect(unitFileProblems(timer)).toEqual([]);
    const runOn = `${timer}\n# then: systemctl daemon-reload\n\n# Or cron instead (crontab -e):\n${cronLine(LINUX)}\n`;
    expect(unitFileProblems(runOn)).toEqual([expect.stringContaining('is no Key=value, section or comment')]);
    expect(unitFileProblems('Description=x\n[Unit]').join('; ')).toContain('comes before any [Section]');
    const broken: Array<[string, string]> = [
      ['# ---- begin a ----\n# ---- begin b ----\n# ---- end b ----', 'begin b inside a'],
      ['# ---- begin a ----\nx\n# ---- end b ----', 'end b closes a'],
      ['# ---- end a ----', 'end a closes nothing'],
      ['# ---- begin a ----\nx', 'a is never ended'],
    ];
    for (const [text, problem] of broken) expect(markedBlocks(text).problems.join('; '), problem).toContain(problem);
  });
});

describe('cron and launchd', () => {
  it('cron: minute hour, shell-quoted words, % escaped', () => {
    expect(cronLine(LINUX)).toBe("30 2 * * * '/opt/mail backup/imap-backup-tool-linux-x64' --config '/opt/mail backup/configuration.yml' >/dev/null");
    expect(cronQuote("/o'k/50%")).toBe("'/o'\\''k/50\\%'");
    expect(cronQuote('/plain/path.yml')).toBe('/plain/path.yml');
  });

  it('launchd: one <string> per argument, XML-escaped, calendar interval', () => {
    const plist = launchdPlist({ ...LINUX, configPath: '/Users/a&b/configuration.yml' });
    expect(plist).toContain('<string>/opt/mail backup/imap-backup-tool-linux-x64</string>\n    <string>--config</string>\n    <string>/Users/a&amp;b/configuration.yml</string>');
    expect(plist).toContain('<key>Hour</key>\n    <integer>2</integer>\n    <key>Minute</key>\n    <integer>30</integer>');
    expect(plist).toContain('<string>local.imap-backup-tool</string>');
  });
});

describe('macOS instructions', () => {
  // Found in review: <!-- launchd: save as ... --> was printed above <?xml; saved with the plist, it
  // made the file invalid (the XML declaration must come first), and launchd refuses it.
  it('the plist is one well-formed block from <?xml to </plist>; every instruction is a # line outside it', () => {
    const table: ScheduleSpec[] = [
      LINUX,
      { ...LINUX, configPath: '/Users/R&D <team>/configuration.yml', name: 'Mail.Backup_2' },
      { ...LINUX, command: ['/usr/local/bin/node', '/opt/a]]>b/cli.cjs'], hour: 23, minute: 59 },
    ];
    for (const spec of table) {
      const out = launchdInstructions(spec);
      const { block, outside } = plistBlock(out);
      expect(block).toBe(launchdPlist(spec).trimEnd());
      expect(xmlProblems(block)).toEqual([]);
      for (const line of outside) expect(line === '' || line.startsWith('# ') || line === cronLine(spec), line).toBe(true);
      expect(out).toContain(`sudo install -m 644 -o root -g wheel ${launchdLabel(spec)}.plist /Library/LaunchDaemons/\n`);
    }
  });

  it('the well-formedness check finds what makes a plist unreadable', () => {
    const plist = launchdPlist(LINUX);
    expect(xmlProblems(plist)).toEqual([]);
    const broken: Array<[string, string]> = [
      [`<!-- launchd: save as x.plist -->\n${plist}`, 'does not start with <?xml'],
      [`${plist}# Or cron instead\n`, 'text outside the root element'],
      [plist.replace('&amp;', '&').replace('<string>--config', '<string>a & b</string><string>--config'), 'a bare &'],
      [plist.replace('</array>', '</dict>'), 'closes <array>'],
      [plist.replace('</plist>', ''), 'not closed'],
      [`${plist}<plist/>`, 'a second root element'],
    ];
    for (const [doc, problem] of broken) expect(xmlProblems(doc).join('; '), problem).toContain(problem);
  });
});

describe('quoteArg and programName: commands in messages that work when pasted', () => {
  it.each<[string, NodeJS.Platform, string]>([
    ['/opt/mailbackup/configuration.yml', 'linux', '/opt/mailbackup/configuration.yml'],
    ['/tmp/R&D/c.yml', 'linux', "'/tmp/R&D/c.yml'"],
    ["/srv/O'Neil/c.yml", 'linux', "'/srv/O'\\''Neil/c.yml'"],
    ['/srv/a $HOME b', 'linux', "'/srv/a $HOME b'"],
    ['/srv/back\\slash', 'linux', "'/srv/back\\slash'"],
    ['C:\\MailBackup\\configuration.yml', 'win32', 'C:\\MailBackup\\configuration.yml'],
    ['C:\\R&D\\configuration.yml', 'win32', '"C:\\R&D\\configuration.yml"'],
    ['C:\\Mail Backup\\c.yml', 'win32', '"C:\\Mail Backup\\c.yml"'],
    // Found in review: cmd.exe ends a program's name at , ; = and PowerShell reads , as a list.
    ['C:\\R,D\\tool.exe', 'win32', '"C:\\R,D\\tool.exe"'],
    ['D:\\a=b\\c.yml', 'win32', '"D:\\a=b\\c.yml"'],
  ])('%s (%s) → %s', (p, platform, want) => {
    expect(quoteArg(p, platform)).toBe(want);
  });

  it('the executable by its full path (its folder is seldom on PATH); the package by its name', () => {
    expect(programName('/opt/mb', '/opt/mb/imap-backup-tool-linux-x64', 'linux')).toBe('/opt/mb/imap-backup-tool-linux-x64');
    expect(programName('C:\\Mail Backup', 'C:\\Mail Backup\\imap-backup-tool-win-x64.exe', 'win32')).toBe('"C:\\Mail Backup\\imap-backup-tool-win-x64.exe"');
    expect(programName(undefined)).toBe('imap-backup-tool');
  });
});

describe('shownCommand: a command inside a sentence, copied as it stands', () => {
  // Found in review: "/usr/bin/x check --config '/a b/c.yml'" pasted with its outer quotes is one word to the shell.
  it.each<[string, string]>([
    ['imap-backup-tool check', '"imap-backup-tool check"'],
    ['/opt/mb/imap-backup-tool-linux-x64 check --config /opt/mb/configuration.yml', '"/opt/mb/imap-backup-tool-linux-x64 check --config /opt/mb/configuration.yml"'],
    ["/usr/bin/x check --config '/a b/c.yml'", "/usr/bin/x check --config '/a b/c.yml'"],
    ["'/opt/Mail Backup/imap-backup-tool-linux-x64' check", "'/opt/Mail Backup/imap-backup-tool-linux-x64' check"],
    ["imap-backup-tool verify '/srv/O'\\''Neil/backup.zip'", "imap-backup-tool verify '/srv/O'\\''Neil/backup.zip'"],
    // PowerShell runs a quoted executable only after & (cmd.exe refuses a line that starts with it).
    ['"C:\\Mail Backup\\imap-backup-tool-win-x64.exe" init', '"C:\\Mail Backup\\imap-backup-tool-win-x64.exe" init (in PowerShell, put & and a space before it)'],
    ['C:\\MB\\imap-backup-tool-win-x64.exe check --config "C:\\R&D\\configuration.yml"', 'C:\\MB\\imap-backup-tool-win-x64.exe check --config "C:\\R&D\\configuration.yml"'],
    ['C:\\MB\\imap-backup-tool-win-x64.exe check', '"C:\\MB\\imap-backup-tool-win-x64.exe check"'],
  ])('%s → %s', (cmd, want) => {
    expect(shownCommand(cmd)).toBe(want);
  });
});
