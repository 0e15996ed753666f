import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { editStep, listHolds } from '../../src/cli/init-advice.js';

// Found in review: init told a Windows admin to give the list mode 600, which has no meaning there (no chmod).
describe("init's advice on keeping the passwords private fits the system", () => {
  const config = path.join('/srv/mb', 'configuration.yml');
  const list = path.join('/srv/mb', 'mailboxes_to_backup.yml');
  it.each<[NodeJS.Platform, string, string]>([
    ['linux', 'mode 600: it holds secrets', 'mode 600: they hold secrets'],
    ['darwin', 'mode 600: it holds secrets', 'mode 600: they hold secrets'],
    ['win32', 'it holds secrets: let only the account the scheduled task runs as, and administrators, read the folder', 'they hold secrets: let only the account the scheduled task runs as, and administrators, read the folder'],
  ])('%s', (platform, one, both) => {
    const targets = [{ file: config, holds: 'folders, the notification' }, { file: list, holds: listHolds(platform) }];
    expect(listHolds(platform)).toContain(one);
    // Both written; only the list (beside a configuration of the original tool).
    expect(editStep(targets, 2, config, platform)).toContain(`passwords (${both}`);
    expect(editStep(targets.slice(1), 2, config, platform)).toBe(`Edit mailboxes_to_backup.yml: mailboxes, passwords (${one}${platform === 'win32' ? ' (its Properties, Security)' : ''}).`);
    if (platform === 'win32') expect(`${listHolds(platform)} ${editStep(targets, 2, config, platform)}`).not.toMatch(/mode|600|chmod/);
  });
});
