import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lazyGbk } from '../../build/lazy-gbk.mjs';

// The bundle's patch of libmime: GBK's tables are built on first use, not when libmime loads,
// and what libmime decodes is unchanged. Run on a bundle made with the plugin, as the CLI is.
const probe = `
import iconv from 'iconv-lite';
import libmime from 'libmime';
const built = () => Object.keys(iconv._codecDataCache).filter((k) => /gbk|gb2312|big5|shiftjis/.test(k));
const atLoad = built();
const words = libmime.decodeWords('=?gbk?B?1tDOxA==?= =?big5?B?pKSk5Q==?=');
const chunks = [];
const stream = libmime.createDecodeStream('gbk');
stream.on('data', (c) => chunks.push(c));
stream.on('end', () => {
  console.log(JSON.stringify({ atLoad, words, streamed: Buffer.concat(chunks).toString('utf8') }));
});
// A double-byte character cut between two writes: the decoder libmime picks for DBCS charsets.
stream.write(Buffer.from('d6d0ce', 'hex'));
stream.end(Buffer.from('c4d6d0cec4', 'hex'));
`;

describe('lazy-gbk (build/lazy-gbk.mjs)', () => {
  it('libmime loads without building GBK, and decodes GBK and Big5 words and a cut GBK stream as before', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-gbk-'));
    const out = path.join(dir, 'probe.cjs');
    await build({ stdin: { contents: probe, resolveDir: process.cwd(), loader: 'js' }, bundle: true, platform: 'node', format: 'cjs', outfile: out, plugins: [lazyGbk], logLevel: 'silent' });
    const result = JSON.parse(execFileSync(process.execPath, [out], { encoding: 'utf8' }));
    expect(result).toEqual({ atLoad: [], words: '中文中文', streamed: '中文中文' });
  });

  it('stops the build when libmime no longer reads as the patch expects', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-gbk-'));
    const fake = path.join(dir, 'node_modules', 'libmime', 'dist', 'esm');
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(path.join(fake, 'charset.js'), "export const DBCS_DECODER = 1;\n");
    await expect(build({ entryPoints: [path.join(fake, 'charset.js')], bundle: true, write: false, plugins: [lazyGbk], logLevel: 'silent' })).rejects.toThrow(/review the lazy-gbk patch/);
  });
});
