import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from '../../build/node-runtime.mjs';
import { schtasksArgs, schtasksCommandLine } from '../../src/core/schedule.js';
import { CMD_CASES, WIN } from '../helpers/schedule-fixtures.js';

// Run by test/wine/run.sh (it sets WINEPREFIX). The printed schtasks line typed into Wine's cmd.exe,
// with a Windows node.exe that writes down its arguments standing in for schtasks.
const winPath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;
// Wine's cmd differs from Windows' on a few lines (CmdCase.notUnderWine): those are in the unit test only.
const CASES = CMD_CASES.filter((c) => c.notUnderWine === undefined).map((c) => c.change);

let dir: string;

beforeAll(() => {
  if (!process.env.WINEPREFIX) throw new Error('run this through npm run test:wine (it sets WINEPREFIX)');
  // Under Wine's default Windows 7 Node refuses to start (exit 216).
  expect(spawnSync('wine', ['winecfg', '-v', 'win10'], { env: { ...process.env, WINEDEBUG: '-all' } }).status).toBe(0);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-wine-cmd-'));
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the printed schtasks line in cmd.exe', () => {
  it('reaches the program as exactly the schtasks arguments', async () => {
    const node = await nodeBinary('win-x64', path.resolve(__dirname, '../../.cache/node-bin'));
    const printer = path.join(dir, 'args.js');
    fs.writeFileSync(printer, "require('fs').writeFileSync(process.argv[2], JSON.stringify(process.argv.slice(3)));\n");
    const out = (i: number) => path.join(dir, `args-${i}.json`);
    const lines = CASES.map((c, i) => schtasksCommandLine({ ...WIN, ...c }).replace(/^schtasks /, `${winPath(node)} ${winPath(printer)} ${winPath(out(i))} `));
    // Read as typed at the prompt (not a batch file, which treats % otherwise). From a file: Wine's cmd
    // reads a line ahead and seeks back, which loses all but the first line of a pipe.
    const typed = path.join(dir, 'typed.txt');
    fs.writeFileSync(typed, `${lines.join('\r\n')}\r\nexit\r\n`);
    const input = fs.openSync(typed, 'r');
    const r = spawnSync('wine', ['cmd'], { stdio: [input, 'pipe', 'pipe'], env: { ...process.env, WINEDEBUG: '-all', NODE_OPTIONS: '' }, timeout: 150_000 });
    fs.closeSync(input);
    expect(r.status, String(r.stdout) + String(r.stderr)).toBe(0);
    CASES.forEach((c, i) => {
      expect(fs.existsSync(out(i)), lines[i]).toBe(true);
      expect(JSON.parse(fs.readFileSync(out(i), 'utf8')), lines[i]).toEqual(schtasksArgs({ ...WIN, ...c }));
    });
  });
});
