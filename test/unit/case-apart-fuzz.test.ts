import { describe, expect, it } from 'vitest';
import { resolveFolders, type ServerFolder } from '../../src/core/folders.js';
import { imapNameOf } from '../../src/core/restore-names.js';

/**
 * Random servers full of case and Unicode variants, at several levels, with names the escaping
 * treats specially (from the second review's fuzzing). Properties: no two folders share a local
 * folder (where the disk folds case: none that fold equal); the names do not depend on LIST order;
 * a name reads back as the server's unless hashed; a folder keeps its name when others come and
 * go; and where the disk folds case, a folder never writes into a folder another one had.
 */
const f = (path: string): ServerFolder => ({ path, delimiter: '/', flags: new Set<string>() });
const disk = (s: string) => [...s.normalize('NFC')].map((c) => {
  const u = c.toUpperCase();
  return [...u].length === 1 ? u : c;
}).join('');
const SEG = ['Foo', 'foo', 'FOO', 'Bar', 'bar', 'Grüße', 'Gru\u0308ße', 'grüße', 'a%b', 'A%B', 'x~y', 'X~Y', 'CON', 'con', 'a.', 'A.', '%66%6F%6F', '%46%6F%6F', 'foo%~0beec7b5', 'x'.repeat(60), 'X'.repeat(60), 'y'.repeat(130), 'Y'.repeat(130), '文'.repeat(70), '2024', 'ǅ', 'Ǆ', 'ǆ', 'ı', 'i', 'I', 'σ', 'ς', 'Σ', 'K', '\u212a', 'k'];

function lcg(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

const withParents = (names: string[]) => {
  const out = [...new Set(names)];
  for (const n of [...out]) {
    const parts = n.split('/');
    for (let i = 1; i < parts.length; i++) if (!out.includes(parts.slice(0, i).join('/'))) out.push(parts.slice(0, i).join('/'));
  }
  return out;
};

const resolve = (names: string[], known: Iterable<string> | undefined, foldsCase: boolean) =>
  new Map(resolveFolders({ kind: 'all' }, [], names.map(f), { known: known && new Set(known), foldsCase }).folders.map((x) => [x.path, x.local] as const));

describe.each([true, false])('case variants, fuzzed (disk folds case: %s)', (foldsCase) => {
  it('apart, order-free, read back, stable as folders come and go', () => {
    const rnd = lcg(foldsCase ? 1 : 2);
    const name = () => Array.from({ length: 1 + rnd(3) }, () => SEG[rnd(SEG.length)] as string).join('/');
    const shuffle = <T>(a: T[]) => {
      const b = [...a];
      for (let i = b.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [b[i], b[j]] = [b[j] as T, b[i] as T];
      }
      return b;
    };
    const key = (local: readonly string[]) => (foldsCase ? disk(local.join('/')) : local.join('/'));
    for (let round = 0; round < 3000; round++) {
      const names = withParents(Array.from({ length: 2 + rnd(8) }, name));
      const first = resolve(names, undefined, foldsCase);
      const shuffled = resolve(shuffle(names), undefined, foldsCase);
      const taken = new Map<string, string>();
      for (const [path, local] of first) {
        const context = `${JSON.stringify(names)}: ${path} → ${local.join('/')}`;
        expect(taken.get(key(local)), context).toBeUndefined();
        taken.set(key(local), path);
        expect(shuffled.get(path)?.join('/'), context).toBe(local.join('/'));
        if (path === path.normalize('NFC') && !local.join('/').includes('~')) expect(imapNameOf(local, '/'), context).toBe(path);
      }
      const later = withParents(shuffle([...names.filter(() => rnd(4) !== 0), ...Array.from({ length: 1 + rnd(3) }, name)]));
      const second = resolve(later, [...first.values()].map((l) => l.join('/')), foldsCase);
      for (const [path, local] of second) {
        const context = `${JSON.stringify(names)} then ${JSON.stringify(later)}: ${path} → ${local.join('/')}`;
        const before = first.get(path);
        if (before) expect(local.join('/'), context).toBe(before.join('/'));
        // The first run's folders stay on the disk: none may be taken by another folder (names
        // equal once composed, NFC, are one folder by design: `K` and the Kelvin sign `K`).
        const owner = taken.get(key(local));
        if (owner !== undefined) expect(owner.normalize('NFC'), context).toBe(path.normalize('NFC'));
      }
    }
  });
});
