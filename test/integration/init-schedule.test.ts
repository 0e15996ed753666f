import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDirs } from '../helpers/temp-dirs.js';
import { plistBlock, xmlProblems } from '../helpers/xml.js';

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
  });

  it('without --dir (not a binary) writes into the working directory', async () => {
    const dir = tmp();
    const r = await runCli(['init'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'configuration.yml'))).toBe(true);
  });

  it('never overwrites: one existing file stops it, and nothing is written', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'mailboxes_to_backup.yml'), 'mine: {}\n');
    const r = await runCli(['init', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(dir, 'mailboxes_to_backup.yml')} already exists`);
    expect(r.stderr).toContain('nothing was written');
    expect(fs.readdirSync(dir)).toEqual(['mailboxes_to_backup.yml']);
    expect(fs.readFileSync(path.join(dir, 'mailboxes_to_backup.yml'), 'utf8')).toBe('mine: {}\n');
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

  // Found in review: cmd.exe reads \" as a closing quote, so the & of R&D was outside its quotes and split the command.
  it('Windows: escapes & for cmd.exe outside its quotes, and warns about a % it cannot escape', async () => {
    const rd = path.join(tmp(), 'R&D');
    fs.mkdirSync(rd);
    fs.writeFileSync(path.join(rd, 'configuration.yml'), '');
    const r = await runCli(['schedule', '--platform', 'windows', '--config', path.join(rd, 'configuration.yml')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(` --config \\"${path.join(rd, 'configuration.yml').replace('R&D', 'R^&D')}\\"" /SC DAILY`);
    expect(r.stdout).not.toContain('contains %');
    const pct = path.join(tmp(), '100%');
    fs.mkdirSync(pct);
    fs.writeFileSync(path.join(pct, 'configuration.yml'), '');
    const p = await runCli(['schedule', '--platform', 'windows', '--config', path.join(pct, 'configuration.yml')]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/^schtasks .*\n\nWarning: the command above contains %\..*\n.*--install instead/m);
  });

  // Found in review: <!-- launchd: save as ... --> lines came before <?xml; saved with the plist (or
  // copied from the first line) they made it invalid: the XML declaration must come first.
  it('prints a launchd plist for macOS as one well-formed block, its instructions outside it', async () => {
    const dir = path.join(tmp(), 'R&D <team>');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'configuration.yml'), '');
    const r = await runCli(['schedule', '--platform', 'macos', '--config', path.join(dir, 'configuration.yml')]);
    expect(r.code, r.stderr).toBe(0);
    const { block, outside } = plistBlock(r.stdout);
    expect(xmlProblems(block)).toEqual([]);
    expect(block).toContain('<key>StartCalendarInterval</key>');
    expect(block).toContain(`<string>${path.join(dir, 'configuration.yml').replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</string>`);
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
