import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { resolveFolders, type ServerFolder } from '../../src/core/folders.js';
import { cleanProcessFolder } from '../../src/io/cleaner.js';
import { listOwnFiles } from '../../src/io/process-tree.js';
import { StateStore } from '../../src/io/state-store.js';
import { tempDirs } from '../helpers/temp-dirs.js';

/**
 * The local names folders were backed up under outlive cleanProcessFolder (the marks do not), so
 * the folder that had the plain name keeps it once a case variant appears after a clean.
 */
const tmp = tempDirs('ibt-names-');
const USER = 'm@example.org';
const HEX = '0123456789abcdef0123456789abcdef';
const mark = { uidValidity: '1', lastUid: 3, emlCount: 1 };
const server = (...paths: string[]): ServerFolder[] => paths.map((p) => ({ path: p, delimiter: '/', flags: new Set<string>() }));
const loaded = async (root: string) => {
  const state = StateStore.forMailbox(root, USER);
  await state.load();
  return state;
};
const localsOf = (state: StateStore, ...paths: string[]) =>
  resolveFolders({ kind: 'all' }, [], server(...paths), state.folderHistory()).folders.map((f) => [f.path, f.local.join('/')]);

it('cleaning removes the marks and the mail, not the names: foo keeps its plain name when Foo appears', async () => {
  const root = tmp();
  const first = await loaded(root);
  expect(localsOf(first, 'foo')).toEqual([['foo', 'foo']]);
  fs.mkdirSync(path.join(root, USER, 'foo'), { recursive: true });
  fs.writeFileSync(path.join(root, USER, 'foo', `${HEX}__a__x.eml`), 'a');
  await first.set('foo', mark, 'foo');
  const result = await cleanProcessFolder(root, await listOwnFiles(root));
  expect(result.problems).toEqual([]);
  expect(fs.existsSync(path.join(root, USER))).toBe(false);
  const after = await loaded(root);
  // The marks are gone: the next archive is a whole snapshot.
  expect(after.keys()).toEqual([]);
  expect(after.get('foo')).toBeUndefined();
  expect(StateStore.existsFor(root, USER)).toBe(false);
  // `Foo` sorts first: without the record it would take the plain name, and foo would move.
  expect(localsOf(after, 'Foo', 'foo')).toEqual([['Foo', '%46%6F%6F'], ['foo', 'foo']]);
});

it('a state file of an earlier version (no names record) loads, and its marked folders get recorded', async () => {
  const root = tmp();
  const stateFile = path.join(root, '.imap-backup-tool', 'state', `${USER}.json`);
  fs.mkdirSync(path.dirname(stateFile), { recursive: true });
  fs.writeFileSync(stateFile, JSON.stringify({ version: 1, folders: { foo: mark, INBOX: mark } }));
  const old = await loaded(root);
  expect(old.get('foo')).toEqual(mark);
  expect(localsOf(old, 'Foo', 'foo')).toEqual([['Foo', '%46%6F%6F'], ['foo', 'foo']]);
  // What a run does after resolving, also for folders with nothing new (no mark is written then).
  await old.rememberMarked([{ path: 'foo', local: ['foo'] }, { path: 'Foo', local: ['%46%6F%6F'] }, { path: 'INBOX', local: ['INBOX'] }]);
  fs.rmSync(stateFile);
  expect(localsOf(await loaded(root), 'Foo', 'foo')).toEqual([['Foo', '%46%6F%6F'], ['foo', 'foo']]);
  const names = JSON.parse(fs.readFileSync(path.join(root, '.imap-backup-tool', 'names', `${USER}.json`), 'utf8')) as unknown;
  // Foo had no mark, so it is not recorded: as with the marks, only folders backed up count.
  expect(names).toEqual({ version: 1, folders: { foo: 'foo', INBOX: 'INBOX' } });
});

it('marks set in parallel all reach the names record; a corrupt record is ignored; a killed write\'s temp file is removed', async () => {
  const root = tmp();
  const state = await loaded(root);
  const folders = Array.from({ length: 20 }, (_, i) => `F${i}`);
  await Promise.all(folders.map((f) => state.set(f, mark, f)));
  const namesFile = path.join(root, '.imap-backup-tool', 'names', `${USER}.json`);
  const written = JSON.parse(fs.readFileSync(namesFile, 'utf8')) as { folders: Record<string, string> };
  expect(Object.keys(written.folders).sort()).toEqual([...folders].sort());
  fs.writeFileSync(namesFile, '{"version":1,"fol');
  fs.writeFileSync(path.join(path.dirname(namesFile), '.ibt-0123456789ab-1.tmp'), 'half');
  await StateStore.removeLeftovers(root);
  expect(fs.readdirSync(path.dirname(namesFile))).toEqual([`${USER}.json`]);
  const corrupt = await loaded(root);
  expect([...(corrupt.folderHistory().known ?? [])].sort()).toEqual([...folders].sort());
  fs.rmSync(path.join(root, '.imap-backup-tool', 'state'), { recursive: true });
  expect([...((await loaded(root)).folderHistory().known ?? [])]).toEqual([]);
});

it('a server folder named __proto__ is recorded like any other', async () => {
  const root = tmp();
  await (await loaded(root)).set('x', mark, '__proto__');
  fs.rmSync(path.join(root, '.imap-backup-tool', 'state'), { recursive: true });
  expect([...((await loaded(root)).folderHistory().known ?? [])]).toEqual(['x']);
});

it('marks set in parallel all reach the state file, each with its last value (found in review: writes raced)', async () => {
  const root = tmp();
  const state = await loaded(root);
  const folders = Array.from({ length: 200 }, (_, i) => `P${i}`);
  // Two rounds, each mark set while the writes of earlier ones are still under way: the second's values must win.
  const sets: Promise<void>[] = [];
  for (const round of [0, 1000]) {
    for (const [i, f] of folders.entries()) {
      sets.push(state.set(f, { ...mark, lastUid: round + i }, f));
      await new Promise((r) => setImmediate(r));
    }
  }
  await Promise.all(sets);
  const again = await loaded(root);
  expect(folders.map((f) => again.get(f)?.lastUid)).toEqual(folders.map((_, i) => 1000 + i));
});

it('a local folder named __proto__ keeps its mark like any other (found in review: it set the prototype)', async () => {
  const root = tmp();
  await (await loaded(root)).set('__proto__', mark, 'p');
  const again = await loaded(root);
  expect(again.keys()).toEqual(['__proto__']);
  expect(again.get('__proto__')).toEqual(mark);
  expect(again.get('toString')).toBeUndefined();
});

it('a names write that fails fails no mark: set resolves with the mark on disk, and the next set records both names', async () => {
  const root = tmp();
  const namesFile = path.join(root, '.imap-backup-tool', 'names', `${USER}.json`);
  // Where the record's file goes, something its rename cannot replace.
  fs.mkdirSync(namesFile, { recursive: true });
  const state = await loaded(root);
  await state.set('foo', mark, 'foo');
  expect((await loaded(root)).get('foo')).toEqual(mark);
  fs.rmdirSync(namesFile);
  await state.set('bar', mark, 'bar');
  expect(JSON.parse(fs.readFileSync(namesFile, 'utf8'))).toEqual({ version: 1, folders: { foo: 'foo', bar: 'bar' } });
});
