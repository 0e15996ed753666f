import { describe, expect, it } from 'vitest';
import { NameColumn } from '../../src/io/name-column.js';
import { FileList } from '../../src/io/process-tree.js';

describe('NameColumn', () => {
  it('gives back every name as pushed, across growth, shared prefixes and non-ASCII', () => {
    const names = [
      'a@example.org/INBOX/0123__Grüße aus Köln__x.eml',
      'a@example.org/INBOX/4567__日本語の件名__x.eml',
      'a@example.org/Archive/2023/89ab__😀 emoji__x.eml',
      'no-slash-at-all',
      'trailing/',
      '/leading',
      '',
    ];
    for (let i = 0; i < 5000; i++) names.push(`box${i % 7}@example.org/F${i % 13}/${i.toString(16).padStart(32, '0')}__${'subject '.repeat(i % 5)}__${i}.eml`);
    const column = new NameColumn();
    for (const n of names) column.push(n);
    expect(column.count).toBe(names.length);
    expect(Array.from({ length: column.count }, (_, i) => column.get(i))).toEqual(names);
    expect(() => column.get(names.length)).toThrow(RangeError);
    expect(() => column.get(-1)).toThrow(RangeError);
  });

  it('keeps names across many chunks, and one larger than a chunk', () => {
    const names = Array.from({ length: 40 }, (_, i) => `m/INBOX/${String(i).repeat(1 + i)}${'x'.repeat(60_000)}.eml`);
    names.splice(7, 0, `m/Big/${'é'.repeat(400_000)}.eml`, 'm/after/the/big/one.eml');
    const column = new NameColumn();
    for (const n of names) column.push(n);
    expect(Array.from({ length: column.count }, (_, i) => column.get(i))).toEqual(names);
  });
});

describe('FileList', () => {
  it('reads back like the array of files pushed into it', () => {
    const list = new FileList();
    const files = Array.from({ length: 3000 }, (_, i) => ({ name: `m/INBOX/${i}__s__x.eml`, size: i * 1000 + (i % 3) * 2 ** 33, mtimeMs: 1.7e12 + i + 0.25 }));
    for (const f of files) list.push(f);
    expect(list.length).toBe(3000);
    expect([...list]).toEqual(files);
    expect(list.at(2999)).toEqual(files[2999]);
    expect(list.at(3000)).toBeUndefined();
    expect(list.at(-1)).toBeUndefined();
    expect(list.totalBytes).toBe(files.reduce((n, f) => n + f.size, 0));
  });
});
