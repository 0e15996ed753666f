import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { ORIGINAL_CONFIG } from '../helpers/config-fixture.js';
import { loadConfig } from '../../src/io/config-files.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { plistBlock, xmlProblems } from '../helpers/xml.js';
import { markedBlocks, unitFileProblems, unitSections } from '../helpers/unit-file.js';

const SAMPLES = path.resolve(__dirname, '../../dist-config');
const tmp = tempDirs('ibt-init-');

describe('init', () => {
  it('--dir writes both commented samples, byte for byte, creating the folder', async () => {
    const dir = path.join(tmp(), 'new', 'folder');
    const r = await runCli(['init', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['configuration.yml', 'mailboxes_to_backup.yml']);
    for (const f of fs.readdirSync(dir)) expect(fs.readFileSync(path.join(dir, f))).toEqual(fs.readFileSync(path.join(SAMPLES, f)));
    // They hold passwords.
    expect(fs.statSync(path.join(dir, 'configuration.yml')).mode & 0o077).toBe(0);
    expect(r.stdout).toContain(`check --config ${path.join(dir, 'configuration.yml')}`);
    // A system with file modes (Windows: unit/init-advice).
    expect(r.stdout).toContain('Edit both files: folders, mailboxes, passwords (mode 600: they hold secrets), the notification.');
  });

  it('without --dir (not a binary) writes into the working directory', async () => {
    const dir = tmp();
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'configuration.yml'))).toBe(true);
  });

  it('never overwrites: with only the mailbox list there, it writes configuration.yml and keeps the list', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'mailboxes_to_backup.yml'), 'mine: {}\n');
    const r = await runCli(['init', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Wrote ${path.join(dir, 'configuration.yml')}`);
    expect(r.stdout).toContain(`Kept ${path.join(dir, 'mailboxes_to_backup.yml')}: it exists`);
    expect(fs.readdirSync(dir).sort()).toEqual(['configuration.yml', 'mailboxes_to_backup.yml']);
    expect(fs.readFileSync(path.join(dir, 'mailboxes_to_backup.yml'), 'utf8')).toBe('mine: {}\n');
  });
});

// The admin of the original tool has its configuration.yml, but not (or no longer) the list.
describe('init beside an existing configuration', () => {
  const SAMPLE_LIST = fs.readFileSync(path.join(SAMPLES, 'mailboxes_to_backup.yml'));
  const withConfig = (config = ORIGINAL_CONFIG) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), config);
    return dir;
  };
  const snapshot = (dir: string) => Object.fromEntries(fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => [f, fs.statSync(path.join(dir, f)).isFile() ? fs.readFileSync(path.join(dir, f), 'utf8') : '<dir>']));

  it('writes only the missing mailbox list and keeps configuration.yml byte for byte', async () => {
    const dir = withConfig();
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'configuration.yml'), 'utf8')).toBe(ORIGINAL_CONFIG);
    expect(fs.readFileSync(path.join(dir, 'mailboxes_to_backup.yml'))).toEqual(SAMPLE_LIST);
    expect(fs.statSync(path.join(dir, 'mailboxes_to_backup.yml')).mode & 0o077).toBe(0);
    expect(r.stdout).toContain(`Kept ${path.join(dir, 'configuration.yml')}: it exists, and init never changes an existing file.`);
    expect(r.stdout).toContain(`Wrote ${path.join(dir, 'mailboxes_to_backup.yml')}`);
    expect(r.stdout).toContain('1. Edit mailboxes_to_backup.yml: mailboxes, passwords');
  });

  it('names the list as common.mailboxList does, resolved from the configuration\'s folder, not the working directory', async () => {
    const dir = withConfig(ORIGINAL_CONFIG.replace("mailboxList: 'mailboxes_to_backup.yml'", "mailboxList: 'lists/office.yml'"));
    const r = await runCli(['init', '--dir', dir], { cwd: tmp() });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'lists', 'office.yml'))).toEqual(SAMPLE_LIST);
    expect(fs.existsSync(path.join(dir, 'mailboxes_to_backup.yml'))).toBe(false);
    expect(r.stdout).toContain(`Wrote ${path.join(dir, 'lists', 'office.yml')}`);
    expect(r.stdout).toContain(`as common.mailboxList in configuration.yml says`);
    expect(r.stdout).toContain(`1. Edit ${path.join('lists', 'office.yml')}: mailboxes`);
  });

  it('--config completes a configuration of another name, wherever it is', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'prod.yml'), ORIGINAL_CONFIG.replace("'mailboxes_to_backup.yml'", "'prod-list.yml'"));
    const r = await runCli(['init', '--config', 'prod.yml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['prod-list.yml', 'prod.yml']);
    expect(r.stdout).toContain(`check --config ${path.join(dir, 'prod.yml')}`);
    const both = await runCli(['init', '--config', 'prod.yml', '--dir', dir], { cwd: dir });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --dir or --config, not both');
  });

  it('does not follow a list name that leads out of the folder: writes it inside and says so', async () => {
    const outer = tmp();
    const dir = path.join(outer, 'cfg');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'configuration.yml'), ORIGINAL_CONFIG.replace("'mailboxes_to_backup.yml'", "'../../escaped.yml'"));
    const r = await runCli(['init', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(outer)).toEqual(['cfg']);
    expect(fs.existsSync(path.join(path.dirname(outer), 'escaped.yml'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'escaped.yml'))).toEqual(SAMPLE_LIST);
    expect(r.stdout).toContain(`common.mailboxList in configuration.yml names ../../escaped.yml, outside ${dir}; init writes only into that folder, so the sample's place is ${path.join(dir, 'escaped.yml')}: move it to ${path.join(path.dirname(outer), 'escaped.yml')}`);
  });

  it('reads common.mailboxList leniently; when it cannot, writes no list under a guessed name and says to fix the file first', async () => {
    const tabbed = withConfig("common:\n  mailboxList: 'office.yml'\nstorage:\n\tarchiveToZip: True\n");
    const r = await runCli(['init', '--dir', tabbed]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(tabbed).sort()).toEqual(['configuration.yml', 'office.yml']);

    const broken = withConfig('common: [oops\n');
    const b = await runCli(['init', '--dir', broken]);
    // Found in review: a guessed default name sent the admin round again once the YAML was fixed.
    expect(b.code).toBe(2);
    expect(fs.readdirSync(broken).sort()).toEqual(['configuration.yml']);
    // Found in review: the bare "imap-backup-tool check" did not find a configuration in another folder.
    expect(b.stderr).toContain(`configuration.yml is not valid YAML, so the name its common.mailboxList gives is unknown: fix configuration.yml first ("imap-backup-tool check --config ${path.join(broken, 'configuration.yml')}" says where), then run init again for the mailbox list.`);
  });

  it('refuses when every file exists (the custom list included), and changes nothing', async () => {
    for (const list of ['mailboxes_to_backup.yml', 'office.yml']) {
      const dir = withConfig(ORIGINAL_CONFIG.replace("'mailboxes_to_backup.yml'", `'${list}'`));
      fs.writeFileSync(path.join(dir, list), 'mine: {}\n');
      const before = snapshot(dir);
      const r = await runCli(['init', '--dir', dir]);
      expect(r.code, list).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${path.join(dir, 'configuration.yml')} already exists.`);
      expect(r.stderr).toContain(`${path.join(dir, list)} already exists.`);
      expect(r.stderr).toContain('nothing was written');
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it('a run without the list says to run init (with --config when plain init would not find it), and that init then works', async () => {
    const dir = withConfig();
    const here = await runCli(['check'], { cwd: dir });
    expect(here.code).toBe(2);
    expect(here.stderr).toContain(`${path.join(dir, 'mailboxes_to_backup.yml')}: does not exist; run "imap-backup-tool init" to write a commented sample of it beside configuration.yml (existing files are kept), or fix common.mailboxList in configuration.yml`);
    expect(here.stderr).not.toContain('dist-config');
    expect(here.stderr).not.toMatch(/^\s+at /m);

    const away = await runCli(['check', '--config', path.join(dir, 'configuration.yml')]);
    expect(away.code).toBe(2);
    const cmd = `imap-backup-tool init --config ${path.join(dir, 'configuration.yml')}`;
    expect(away.stderr).toContain(`does not exist; run "${cmd}" to write`);
    const init = await runCli(cmd.split(' ').slice(1));
    expect(init.code, init.stderr).toBe(0);
    // The sample's placeholder mailboxes may not validate; the list is found, which is the point.
    let problems = '';
    try {
      loadConfig(path.join(dir, 'configuration.yml'), {});
    } catch (err) {
      problems = String(err);
    }
    expect(problems).not.toContain('does not exist');
  });

  it('a --config that does not exist: the message names the file and how init writes it', async () => {
    const dir = tmp();
    const r = await runCli(['check', '--config', path.join(dir, 'configuration.yml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'configuration.yml')}: does not exist; check the --config path, or run "imap-backup-tool init --config ${path.join(dir, 'configuration.yml')}" to write a commented sample there`);
  });
});

describe('schedule', () => {
  it('prints a systemd service and timer and a cron line with absolute paths', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), '');
    const r = await runCli(['schedule', '--platform', 'linux', '--time', '4:05', '--config', 'configuration.yml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ExecStart="${process.execPath}" "${CLI}" --config "${path.join(dir, 'configuration.yml')}"`);
    expect(r.stdout).toContain('OnCalendar=*-*-* 04:05:00');
    expect(r.stdout).toContain(`5 4 * * * ${process.execPath} ${CLI} --config ${path.join(dir, 'configuration.yml')} >/dev/null`);
    expect(r.stdout).toContain('systemctl enable --now imap-backup-tool.timer');
  });

  // Found in review: the service, the timer and the cron line ran on in one stream; the timer copied to
  // the end of the output took the cron line with it.
  it('Linux: the timer, cut out between its marker lines as the output says, is a unit file without the cron line', async () => {
    const { r } = await scheduleIn("O'Neil & Co 100%", 'linux');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('is exactly the lines between its "# ---- begin" and "# ---- end"');
    const { blocks, problems } = markedBlocks(r.stdout);
    expect(problems).toEqual([]);
    const timer = blocks.find((b) => b.name === '/etc/systemd/system/imap-backup-tool.timer')?.lines.join('\n') ?? '';
    expect(unitFileProblems(timer)).toEqual([]);
    expect(unitSections(timer)).toEqual(['Unit', 'Timer', 'Install']);
    expect(timer).not.toMatch(/^0 2 \* \* \* /m);
    const cron = blocks.find((b) => b.name === 'crontab line')?.lines ?? [];
    expect(cron).toEqual([expect.stringMatching(/^0 2 \* \* \* .*>\/dev\/null$/)]);
    // systemd's own reader, where installed: the two files as cut out, markers and all, without a warning.
    if (spawnSync('systemd-analyze', ['--version']).status === 0) {
      const units = tmp();
      for (const b of blocks.filter((x) => x.name.startsWith('/etc/systemd/system/'))) {
        fs.writeFileSync(path.join(units, path.basename(b.name)), [`# ---- begin ${b.name} ----`, ...b.lines, `# ---- end ${b.name} ----`, ''].join('\n'));
      }
      const v = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(units, 'imap-backup-tool.timer'), path.join(units, 'imap-backup-tool.service')], { encoding: 'utf8' });
      expect(v.status, v.stderr).toBe(0);
      expect(v.stderr).toBe('');
    }
  });

  // Found in review: a line break in the path split ExecStart, Description and the cron line in two, and
  // could fake a block's end line.
  it('refuses a configuration whose path holds a line break, naming it (exit 2, nothing printed)', async () => {
    const dir = path.join(tmp(), 'two\nlines');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'configuration.yml'), '');
    for (const platform of ['linux', 'macos', 'windows']) {
      const r = await runCli(['schedule', '--platform', platform, '--config', path.join(dir, 'configuration.yml')]);
      expect(r.code, platform).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${JSON.stringify(path.join(dir, 'configuration.yml'))}: the name of a folder in this path holds a line break`);
    }
  });

  // Found in review: `schtasks /Run /TN Mail Backup` and a systemd unit `Mail Backup.timer` were printed.
  it('refuses a --name that no task, unit and job can share as printed, and suggests one', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), '');
    const r = await runCli(['schedule', '--platform', 'linux', '--name', 'Mail Backup'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--name "Mail Backup" may hold only letters, digits, '.', '_' and '-'`);
    expect(r.stderr).toContain('e.g. --name Mail-Backup');
    const ok = await runCli(['schedule', '--platform', 'linux', '--name', 'Mail-Backup'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('systemctl enable --now Mail-Backup.timer');
  });

  it('prints schtasks for Windows and explains why --config is absolute', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), '');
    const r = await runCli(['schedule', '--platform', 'windows', '--user', 'CONTOSO\\svc'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^schtasks \/Create \/TN imap-backup-tool \/TR ".*" \/SC DAILY \/ST 02:00 \/RU CONTOSO\\svc \/F$/m);
    expect(r.stdout).toContain('no start-in folder');
  });

  /** `schedule --platform <platform>` for an empty configuration.yml in a new folder of this name. */
  const scheduleIn = async (folder: string, platform = 'windows') => {
    const dir = path.join(tmp(), folder);
    fs.mkdirSync(dir);
    const config = path.join(dir, 'configuration.yml');
    fs.writeFileSync(config, '');
    return { r: await runCli(['schedule', '--platform', platform, '--config', config]), config };
  };

  // Found in review: cmd.exe reads \" as a closing quote, so the & of R&D was outside its quotes and split the command.
  it('Windows: escapes & for cmd.exe outside its quotes, and warns about a % it cannot escape', async () => {
    const { r, config } = await scheduleIn('R&D');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(` --config \\"${config.replace('R&D', 'R^&D')}\\"" /SC DAILY`);
    expect(r.stdout).not.toContain('contains %');
    const { r: p } = await scheduleIn('100%');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^schtasks .*\n\nWarning: the command above contains %\..*\n.*--install instead/m);
  });

  // Found in review: a ! was neither escaped nor flagged; a Command Prompt with delayed expansion on takes it.
  it('Windows: warns about a ! and says how to paste the line safely', async () => {
    const { r, config } = await scheduleIn('Hey!');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(` --config \\"${config}\\"" /SC DAILY`);
    expect(r.stdout).toMatch(/^schtasks .*\n\nWarning: the command above contains !\. .*delayed expansion on \(cmd \/V:ON/m);
    expect(r.stdout).toContain('a prompt started with cmd /V:OFF');
    expect(r.stdout).not.toContain('contains %');
    fs.writeFileSync(path.join(config, '..', '..', 'plain.yml'), '');
    const plain = await runCli(['schedule', '--platform', 'windows', '--config', path.join(config, '..', '..', 'plain.yml')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('contains !');
  });

  // Found in review: <!-- launchd: save as ... --> lines came before <?xml; saved with the plist (or
  // copied from the first line) they made it invalid: the XML declaration must come first.
  it('prints a launchd plist for macOS as one well-formed block, its instructions outside it', async () => {
    const { r, config } = await scheduleIn('R&D <team>', 'macos');
    expect(r.code, r.stderr).toBe(0);
    const { block, outside } = plistBlock(r.stdout);
    expect(xmlProblems(block)).toEqual([]);
    expect(block).toContain('<key>StartCalendarInterval</key>');
    expect(block).toContain(`<string>${config.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</string>`);
    for (const line of outside) expect(line === '' || line.startsWith('# ') || /^0 2 \* \* \* /.test(line), line).toBe(true);
    expect(r.stdout).toContain('# launchd: save the lines from <?xml to </plist> below, and nothing else, as local.imap-backup-tool.plist');
    expect(r.stdout).toContain('sudo launchctl bootstrap system /Library/LaunchDaemons/local.imap-backup-tool.plist');
  });

  it('refuses a bad time, an unknown platform, --install off Windows, and a missing configuration (exit 2)', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), '');
    for (const args of [['--time', '24:00'], ['--platform', 'solaris'], ['--install', '--platform', 'linux']]) {
      const r = await runCli(['schedule', '--config', path.join(dir, 'configuration.yml'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
    }
    const missing = await runCli(['schedule'], { cwd: tmp() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('imap-backup-tool init');
  });
});

describe('init and its advice, from review', () => {
  it('--config naming a folder is refused with the two commands that work (it wrote into the folder above)', async () => {
    const root = tmp();
    const folder = path.join(root, 'MailBackup');
    fs.mkdirSync(folder);
    for (const given of [folder, `${folder}/`]) {
      const r = await runCli(['init', '--config', given]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--config names the configuration file, and ${folder} is a folder: use --dir ${folder}, or --config ${path.join(folder, 'configuration.yml')}`);
    }
    expect(fs.readdirSync(root)).toEqual(['MailBackup']);
    expect(fs.readdirSync(folder)).toEqual([]);
  });

  it('a mailbox list that is a link to nothing (a share not mounted) is named as such by check and by init', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), ORIGINAL_CONFIG.replace(/'c:\\\\mailbox_backup[^']*'/g, "'.'"));
    fs.symlinkSync('/mnt/absent-share/mailboxes.yml', path.join(dir, 'mailboxes_to_backup.yml'));
    const check = await runCli(['check', '--config', path.join(dir, 'configuration.yml')]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain('mailboxes_to_backup.yml: is a symbolic link to /mnt/absent-share/mailboxes.yml, which does not exist; mount or restore that, or remove the link');
    expect(check.stderr).not.toContain('run "imap-backup-tool init"');
    const init = await runCli(['init', '--dir', dir]);
    expect(init.code).toBe(2);
    expect(init.stderr).toContain('mailboxes_to_backup.yml already exists: it is a symbolic link to /mnt/absent-share/mailboxes.yml, which does not exist');
  });

  it('the commands it prints survive a shell when the path holds & $ or a quote', async () => {
    for (const name of ['R&D', 'a $HOME b', "O'Neil"]) {
      const dir = path.join(tmp(), name);
      const r = await runCli(['init', '--dir', dir]);
      expect(r.code, r.stderr).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.includes(' check --config '));
      const quoted = `'${path.join(dir, 'configuration.yml').replace(/'/g, `'\\''`)}'`;
      expect(line).toContain(`imap-backup-tool check --config ${quoted}`);
      // What sh makes of it is the path itself.
      const echoed = spawnSync('sh', ['-c', `printf %s ${quoted}`], { encoding: 'utf8' }).stdout;
      expect(echoed).toBe(path.join(dir, 'configuration.yml'));
    }
  });
});

describe('init: what common.mailboxList may hold', () => {
  it.each<[string, string, string]>([
    ['a number, as the run reads it', 'mailboxList: 2024', '2024'],
    ['the folder itself', "mailboxList: '.'", 'mailboxes_to_backup.yml'],
    ['the folder above', "mailboxList: '..'", 'mailboxes_to_backup.yml'],
  ])('%s', async (_, line, written) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), `common:\n  ${line}\nstorage:\n  archiveToZip: True\n`);
    const r = await runCli(['init', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['configuration.yml', written].sort());
    if (written === 'mailboxes_to_backup.yml') expect(r.stdout).toMatch(/names \.\.?, a folder, not a file/);
  });

  it('a list name with a quote is suggested as valid YAML; a file where its folder would go is said plainly', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'configuration.yml'), `common:\n  mailboxList: "../O'Brien.yml"\n`);
    const r = await runCli(['init', '--dir', dir]);
    expect(r.stdout).toContain("set common.mailboxList: 'O''Brien.yml'.");
    const nested = tmp();
    fs.writeFileSync(path.join(nested, 'configuration.yml'), "common:\n  mailboxList: 'configuration.yml/x.yml'\n");
    const n = await runCli(['init', '--dir', nested]);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain(`cannot make the folder ${path.join(nested, 'configuration.yml')} for ${path.join(nested, 'configuration.yml', 'x.yml')} (EEXIST): check common.mailboxList`);
  });
});


it('a misspelt mailboxList is named by the run and by init, which writes no sample list in its place', async () => {
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'configuration.yml'), "common:\n  mailboxLst: 'office.yml'\nstorage:\n  archiveToZip: True\n");
  fs.writeFileSync(path.join(dir, 'office.yml'), 'a@x.org:\n    password: x\n');
  const check = await runCli(['check', '--config', path.join(dir, 'configuration.yml')]);
  expect(check.code).toBe(2);
  expect(check.stderr).toContain('mailboxes_to_backup.yml: does not exist, and common.mailboxLst in configuration.yml (office.yml) is not a setting: write mailboxList there, spelt so');
  const init = await runCli(['init', '--dir', dir]);
  expect(init.code).toBe(2);
  expect(init.stderr).toContain('common.mailboxLst in configuration.yml (office.yml) is not a setting: write mailboxList there, spelt so. No sample list is written while it is misspelt.');
  expect(fs.readdirSync(dir).sort()).toEqual(['configuration.yml', 'office.yml']);
});
