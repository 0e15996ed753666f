import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

// citty ignores flags it does not know: before, `restore ... --dryrun` uploaded for real.
it.each<[string[], string]>([
  [['--dryrun'], 'Unknown option "--dryrun" (did you mean --dry-run?)\nRun "imap-backup-tool run --help"'],
  [['restore', '--from', 'x.zip', '--to', 'a@x', '--dryrun'], 'Unknown option "--dryrun" (did you mean --dry-run?)\nRun "imap-backup-tool restore --help"'],
  [['run', '--mailbox'], '--mailbox needs a value'],
])('%j stops with exit 2 before doing anything', async (args, message) => {
  const r = await runCli(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(message);
  expect(r.stdout).toBe('');
});

// Found in review: notify's advice named a bare "notify --test", without the --config the admin had to give.
it('notify names the notify --test to type again, with the --config given, quoted as a shell reads it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt R&D '));
  try {
    const config = path.join(dir, 'configuration.yml');
    const quoted = `'${config}'`;
    const bare = await runCli(['notify']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('notify only sends a test message: use "imap-backup-tool notify --test".\nRun "imap-backup-tool notify --help" for the commands and flags.');
    const named = await runCli(['notify', '--config', config]);
    expect(named.stderr).toContain(`notify only sends a test message: use imap-backup-tool notify --test --config ${quoted}.`);
    expect((await runCli(['init', '--dir', dir])).code).toBe(0);
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/send_notification: True/, 'send_notification: False'));
    const off = await runCli(['notify', '--test', '--config', config]);
    expect(off.code).toBe(2);
    expect(off.stderr).toContain(`mailNotification.send_notification: is False: set it to True, then run imap-backup-tool notify --test --config ${quoted} again`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Found in review: a password written as passwordFile is redacted in a run's log, but check (and
// every command but run) printed the configuration's problems as they were, the password with them.
it('check never prints a password written as passwordFile, nor does any command that reads the configuration', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-pwfile-'));
  try {
    expect((await runCli(['init', '--dir', dir])).code).toBe(0);
    const list = path.join(dir, 'mailboxes_to_backup.yml');
    fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace("password: 'P@ssw0rd'", "passwordFile: 'Wint3r!'"));
    const config = path.join(dir, 'configuration.yml');
    for (const args of [['check'], ['notify', '--test'], ['unlock']]) {
      const r = await runCli([...args, '--config', config]);
      expect(r.code, args[0]).toBe(2);
      expect(r.stderr, args[0]).toContain(`passwordFile: cannot read ${path.join(dir, '***')}; create it`);
      expect(r.stdout + r.stderr, args[0]).not.toContain('Wint3r');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// Found in review: a --dir that cannot be made (under a file, no such drive, no permission) was blamed on common.mailboxList.
it('init names --dir, not common.mailboxList, when the folder it was given cannot be made', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-initdir-'));
  try {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const r = await runCli(['init', '--dir', path.join(file, 'sub')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot make the folder ${path.join(file, 'sub')} for ${path.join(file, 'sub', 'configuration.yml')} (ENOTDIR): choose a folder this account can create or write to (--dir, or --config)`);
    expect(r.stderr).not.toContain('mailboxList');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
