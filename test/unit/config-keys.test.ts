import { describe, expect, it } from 'vitest';
import { unknownKeys } from '../../src/core/config-keys.js';
import { ORIGINAL_CONFIG, ORIGINAL_MAILBOXES } from '../helpers/config-fixture.js';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const files = { config: 'configuration.yml', mailboxList: 'mailboxes_to_backup.yml' };

describe('unknownKeys: a misspelled setting is named, not silently ignored', () => {
  it('the shipped samples have none, with every commented setting turned on', () => {
    const on = (file: string) => YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../dist-config', file), 'utf8').replace(/^(\s*)# ?([A-Za-z_]+:)/gm, '$1$2'), { uniqueKeys: false });
    expect(unknownKeys(on('configuration.yml'), {}, files)).toEqual([]);
    expect(unknownKeys({}, YAML.parse(fs.readFileSync(path.resolve(__dirname, '../../dist-config/mailboxes_to_backup.yml'), 'utf8')), files)).toEqual([]);
  });

  it("the original tool's files have none", () => {
    expect(unknownKeys(YAML.parse(ORIGINAL_CONFIG), YAML.parse(ORIGINAL_MAILBOXES), files)).toEqual([]);
  });

  it.each<[string, unknown, unknown, string]>([
    ['imapFolders', {}, { 'a@x': { imapFolders: 'INBOX' } }, "mailboxes_to_backup.yml: a@x.imapFolders is not a setting of the tool, so it is ignored: did you mean imapFolder?"],
    ['excludeFolder', {}, { 'a@x': { excludeFolder: 'Archive/*' } }, 'did you mean excludeFolders?'],
    ['rolingMethod', { storage: { rolingMethod: 'ITEMS' } }, {}, "configuration.yml: storage.rolingMethod is not a setting of the tool, so it is ignored: did you mean rollingMethod?"],
    ['deleteOlderBackupsThanDays', { storage: { deleteOlderBackupsThanDays: 3 } }, {}, 'did you mean deleteOlderBackupThanDays?'],
    ['letter case', { common: { RootFolderFullPath: 'x' } }, {}, 'did you mean rootFolderFullPath?'],
    ['a section', { mailNotifications: {} }, {}, "configuration.yml: mailNotifications is not a setting of the tool, so it is ignored: did you mean mailNotification?"],
    ['nothing close', { common: { colour: 'blue' } }, {}, 'configuration.yml: common.colour is not a setting of the tool, so it is ignored'],
  ])('%s', (_label, main, mailboxes, want) => {
    const found = unknownKeys(main, mailboxes, files);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(want);
    if (!want.includes('did you mean')) expect(found[0]).not.toContain('did you mean');
  });
});
