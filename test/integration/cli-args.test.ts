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
