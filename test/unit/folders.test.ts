import { describe, expect, it } from 'vitest';
import { findFolder, resolveFolders, type ServerFolder } from '../../src/core/folders.js';
import { imapNameOf } from '../../src/core/restore-names.js';

const f = (path: string, specialUse?: string): ServerFolder => ({ path, delimiter: '/', flags: new Set<string>(), specialUse });
const locals = (r: ReturnType<typeof resolveFolders>) => r.folders.map((x) => [x.path, x.local.join('/')]);

describe('findFolder', () => {
  const server = [f('INBOX'), f('foo'), f('Foo'), f('Sent Items', '\\Sent')];
  it.each<[string, string | undefined]>([
    ['Foo', 'Foo'],
    ['foo', 'foo'],
    ['FOO', 'foo'],
    ['inbox', 'INBOX'],
    ['SENT', 'Sent Items'],
    ['Drafts', undefined],
  ])('%s → %s (the exact name first, then any letter case, then the special use)', (spec, want) => {
    expect(findFolder(spec, server)?.path).toBe(want);
  });
});

describe('resolveFolders keeps folders apart that Windows and macOS would take for one', () => {
  it('imapFolder "Foo, foo": both server folders, each under its own name', () => {
    const r = resolveFolders({ kind: 'list', names: ['Foo', 'foo'] }, [], [f('INBOX'), f('foo'), f('Foo')]);
    expect(r.problems).toEqual([]);
    expect(r.folders.map((x) => [x.spec, x.path])).toEqual([['Foo', 'Foo'], ['foo', 'foo']]);
    const [first, second] = r.folders.map((x) => x.local.join('/'));
    expect(first).toBe('Foo');
    expect(second).toBe('%66%6F%6F');
  });

  it('the same local names whatever order the server lists them in', () => {
    const a = resolveFolders({ kind: 'all' }, [], [f('foo'), f('Foo'), f('FOO')]);
    const b = resolveFolders({ kind: 'all' }, [], [f('FOO'), f('foo'), f('Foo')]);
    expect(new Map(locals(a) as [string, string][])).toEqual(new Map(locals(b) as [string, string][]));
    // 'FOO' sorts first by code unit and keeps its name.
    expect(new Map(locals(a) as [string, string][]).get('FOO')).toBe('FOO');
    const folded = locals(a).map(([, local]) => local?.toLowerCase());
    expect(new Set(folded).size).toBe(3);
  });

  it('nested folders that differ in a parent, and names in two Unicode forms', () => {
    const r = resolveFolders({ kind: 'all' }, [], [f('Foo/Bar'), f('foo/Bar'), f('Grüße'), f('Gru\u0308ße')]);
    const byPath = new Map(locals(r) as [string, string][]);
    expect(byPath.get('Foo/Bar')).toBe('Foo/Bar');
    // The parent is what differs: spelled out, so the two are apart on the disk and back on the server.
    expect(byPath.get('foo/Bar')).toBe('%66%6F%6F/Bar');
    expect([byPath.get('Grüße'), byPath.get('Gru\u0308ße')].filter((l) => l === 'Grüße')).toHaveLength(1);
    expect(new Set([...byPath.values()].map((l) => l.normalize('NFC').toLowerCase())).size).toBe(4);
  });

  it('folders that differ in more than case keep their names', () => {
    const r = resolveFolders({ kind: 'all' }, [], [f('INBOX'), f('Archive'), f('Archive/2023'), f('Sent')]);
    expect(locals(r)).toEqual([['INBOX', 'INBOX'], ['Archive', 'Archive'], ['Archive/2023', 'Archive/2023'], ['Sent', 'Sent']]);
  });

  it('no server folder can take the name given to keep another apart (its % is escaped)', () => {
    const first = resolveFolders({ kind: 'all' }, [], [f('Foo'), f('foo')]);
    const given = first.folders.find((x) => x.path === 'foo')?.local.join('/') ?? '';
    expect(given).toBe('%66%6F%6F');
    const r = resolveFolders({ kind: 'all' }, [], [f('Foo'), f('foo'), f(given), f(given.toLowerCase()), f('foo%~0beec7b5')]);
    const all = r.folders.map((x) => x.local.join('/').toLowerCase());
    expect(new Set(all).size).toBe(5);
  });

  const loc = (server: ServerFolder[], known: string[], foldsCase: boolean) =>
    new Map(resolveFolders({ kind: 'all' }, [], server, { known: new Set(known), foldsCase }).folders.map((x) => [x.path, x.local.join('/')]));

  it.each([false, true])('a folder backed up before keeps its name when a case variant appears (disk folds case: %s)', (foldsCase) => {
    // 'FOO' sorts before 'Foo', but 'Foo' has the history.
    const names = loc([f('INBOX'), f('Foo'), f('FOO')], ['INBOX', 'Foo'], foldsCase);
    expect(names.get('Foo')).toBe('Foo');
    expect(names.get('FOO')).toBe('%46%4F%4F');
  });

  it('Foo and foo both backed up before: on Linux both keep their folders; where the disk folds case, the first does', () => {
    expect(loc([f('Foo'), f('foo')], ['Foo', 'foo'], false)).toEqual(new Map([['Foo', 'Foo'], ['foo', 'foo']]));
    const folded = loc([f('Foo'), f('foo')], ['Foo', 'foo'], true);
    expect(folded.get('Foo')).toBe('Foo');
    expect(folded.get('foo')).toBe('%66%6F%6F');
  });

  it('Straße and Strasse stay two folders (NTFS folds one character at a time)', () => {
    const names = loc([f('INBOX'), f('Strasse'), f('Straße')], [], true);
    expect(names.get('Straße')).toBe('Straße');
    expect(names.get('Strasse')).toBe('Strasse');
  });

  it('excluding "foo" leaves "Foo"', () => {
    const r = resolveFolders({ kind: 'all' }, ['foo'], [f('foo'), f('Foo')]);
    expect(locals(r)).toEqual([['Foo', 'Foo']]);
  });
});

describe('names kept apart come back to the server under their exact names (restore)', () => {
  const server = ['INBOX', 'Foo', 'foo', 'FOO', 'Foo/Bar', 'foo/Bar', 'foo/bar', 'Ärger', 'ärger', 'Q1 2024', 'q1 2024', 'a.b', 'A.B', 'Sent Items', 'SENT ITEMS', 'Grüße', 'grüße'];
  it.each([false, true])('every folder of a server with case variants at every level (disk folds case: %s)', (foldsCase) => {
    const r = resolveFolders({ kind: 'all' }, [], server.map((p) => f(p)), { foldsCase });
    const locals = r.folders.map((x) => x.local.join('/'));
    // Apart where the disk folds case and Unicode form.
    expect(new Set(locals.map((l) => l.normalize('NFC').toUpperCase())).size).toBe(server.length);
    for (const x of r.folders) expect(imapNameOf(x.local, '/'), x.local.join('/')).toBe(x.path);
  });

  it('a folder kept apart by an earlier version (`%~` and a hash) keeps that folder', () => {
    const old = resolveFolders({ kind: 'all' }, [], [f('Foo'), f('foo')], { known: new Set(['Foo', 'foo%~0beec7b5']) });
    expect(old.folders.map((x) => x.local.join('/'))).toEqual(['Foo', 'foo%~0beec7b5']);
  });

  it('a name too long to spell out falls back to a hash, still apart', () => {
    const long = 'x'.repeat(60);
    const r = resolveFolders({ kind: 'all' }, [], [f(long), f(long.toUpperCase())]);
    const byPath = new Map(r.folders.map((x) => [x.path, x.local.join('/')]));
    expect(byPath.get(long.toUpperCase())).toBe(long.toUpperCase());
    expect(byPath.get(long)).toMatch(new RegExp(`^${long}%~[0-9a-f]{8}$`));
  });
});

describe('names kept apart stay put from run to run (second review)', () => {
  const run = (names: string[], known: string[] | undefined, foldsCase: boolean, exclude: string[] = []) =>
    Object.fromEntries(resolveFolders({ kind: 'all' }, exclude, names.map((p) => f(p)), { known: known && new Set(known), foldsCase }).folders.map((x) => [x.path, x.local.join('/')]));

  it.each([false, true])('a spelled-out folder keeps its name once its variant is gone or left out (disk folds case: %s)', (foldsCase) => {
    const first = run(['Foo', 'foo'], undefined, foldsCase);
    expect(first).toEqual({ Foo: 'Foo', foo: '%66%6F%6F' });
    const known = Object.values(first);
    // Before: `foo` alone took the plain name: downloaded again into `foo/`, or, where the disk
    // folds case, into Foo's folder among Foo's files.
    expect(run(['foo'], known, foldsCase)).toEqual({ foo: '%66%6F%6F' });
    expect(run(['Foo', 'foo'], known, foldsCase, ['Foo'])).toEqual({ foo: '%66%6F%6F' });
    const nested = run(['Foo/Bar', 'foo/Bar'], undefined, foldsCase);
    expect(run(['foo/Bar'], Object.values(nested), foldsCase)).toEqual({ 'foo/Bar': '%66%6F%6F/Bar' });
  });

  it('where the disk folds case, a folder alone does not take a name another folder\'s files still hold', () => {
    expect(run(['Foo'], ['foo'], true)).toEqual({ Foo: '%46%6F%6F' });
    expect(run(['Foo'], ['foo/Bar'], true)).toEqual({ Foo: '%46%6F%6F' });
    // On Linux `foo` and `Foo` are two folders: the plain name is free.
    expect(run(['Foo'], ['foo'], false)).toEqual({ Foo: 'Foo' });
  });

  it('of NFC and NFD twins the composed one keeps the plain name, also when the other appears later', () => {
    const nfc = 'Grüße';
    const nfd = 'Gru\u0308ße';
    const first = run([nfc], undefined, true);
    const later = run([nfd, nfc], Object.values(first), true);
    expect(later[nfc]).toBe(nfc);
    expect(later[nfd]).toMatch(/^Grüße%~[0-9a-f]{8}$/);
  });
});

it('imapFolder "FOO" with Foo and foo on the server is a problem, not whichever LIST gives first', () => {
  for (const order of [[f('Foo'), f('foo')], [f('foo'), f('Foo')]]) {
    const r = resolveFolders({ kind: 'list', names: ['FOO'] }, [], [f('INBOX'), ...order]);
    expect(r.folders).toEqual([]);
    expect(r.problems[0]?.message).toMatch(/^folder "FOO" matches "(Foo|foo)" and "(foo|Foo)" on the server, which differ only in letter case: write the exact name/);
  }
  // The exact name is no problem.
  expect(resolveFolders({ kind: 'list', names: ['foo'] }, [], [f('Foo'), f('foo')]).problems).toEqual([]);
});
