import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReadAhead } from '../../src/engine/read-ahead.js';

const seg = 'b'.repeat(32);
const eml = (n: number) => `${seg}__message ${n}__01-Jan-2020-000000.eml`;
const temp = '.ibt-0123456789ab-1.tmp';

/** A mailbox folder with these local folders, each holding `files` messages and a leftover temp file. */
function mailboxWith(folders: string[], files = 2): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-ahead-'));
  for (const f of folders) {
    const dir = path.join(root, ...f.split('/'));
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, eml(i)), `message ${i}`);
    fs.writeFileSync(path.join(dir, temp), 'half a message');
  }
  return root;
}

describe('folders read from disk while the server answers', () => {
  it('reads each folder of the state once, and hands it out once', async () => {
    const root = mailboxWith(['INBOX', 'Projects/Alpha']);
    const ahead = new ReadAhead(root, ['INBOX', 'Projects/Alpha', 'Gone'], false);
    const inbox = await ahead.take('INBOX');
    expect(inbox?.count).toBe(2);
    expect(fs.existsSync(path.join(root, 'INBOX', temp))).toBe(false);
    // A second attempt (a retry) reads the folder afresh.
    expect(ahead.take('INBOX')).toBeUndefined();
    expect((await ahead.take('Projects/Alpha'))?.count).toBe(2);
    // A folder with nothing on disk any more reads as empty, as scan() does.
    expect((await ahead.take('Gone'))?.count).toBe(0);
  });

  it('forgets the folders this run does not back up', async () => {
    const root = mailboxWith(['INBOX', 'Lists']);
    const ahead = new ReadAhead(root, ['INBOX', 'Lists'], false);
    ahead.keepOnly(new Set(['INBOX']));
    expect(ahead.take('Lists')).toBeUndefined();
    expect((await ahead.take('INBOX'))?.count).toBe(2);
  });

  it('leaves temp files alone in a dry run, which holds no lock', async () => {
    const root = mailboxWith(['INBOX']);
    const ahead = new ReadAhead(root, ['INBOX'], true);
    expect((await ahead.take('INBOX'))?.count).toBe(2);
    expect(fs.existsSync(path.join(root, 'INBOX', temp))).toBe(true);
  });

  it('never reads outside the mailbox, nor folders whose names differ only in case', async () => {
    const parent = mailboxWith(['other@example.org/INBOX']);
    const root = path.join(parent, 'me@example.org');
    fs.mkdirSync(path.join(root, 'Foo'), { recursive: true });
    // A hand-edited state file: its key leads to another mailbox's folder.
    const ahead = new ReadAhead(root, ['../other@example.org/INBOX', 'Foo', 'foo', ''], false);
    expect(ahead.take('../other@example.org/INBOX')).toBeUndefined();
    expect(fs.existsSync(path.join(parent, 'other@example.org', 'INBOX', temp))).toBe(true);
    // On Windows and macOS these are one folder: each must see what the other saved this run.
    expect(ahead.take('Foo')).toBeUndefined();
    expect(ahead.take('foo')).toBeUndefined();
    expect(ahead.take('')).toBeUndefined();
  });
});
