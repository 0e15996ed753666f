import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBinary } from '../../build/node-runtime.mjs';
import { cmdMayDelayExpand, schtasksArgs, schtasksCommandLine, type ScheduleSpec } from '../../src/core/schedule.js';
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

/**
 * Types each spec's printed schtasks line into one Wine cmd.exe started with these switches; what the
 * program got for each, undefined where it did not run.
 */
async function throughWineCmd(switches: string[], specs: ScheduleSpec[]): Promise<Array<string[] | undefined>> {
  const node = await nodeBinary('win-x64', path.resolve(__dirname, '../../.cache/node-bin'));
  const run = fs.mkdtempSync(path.join(dir, 'run-'));
  const printer = path.join(run, 'args.js');
  fs.writeFileSync(printer, "require('fs').writeFileSync(process.argv[2], JSON.stringify(process.argv.slice(3)));\n");
  const out = (i: number) => path.join(run, `args-${i}.json`);
  const lines = specs.map((spec, i) => schtasksCommandLine(spec).replace(/^schtasks /, `${winPath(node)} ${winPath(printer)} ${winPath(out(i))} `));
  // Read as typed at the prompt (not a batch file, which treats % otherwise). From a file: Wine's cmd
  // reads a line ahead and seeks back, which loses all but the first line of a pipe.
  const typed = path.join(run, 'typed.txt');
  fs.writeFileSync(typed, `${lines.join('\r\n')}\r\nexit\r\n`);
  const input = fs.openSync(typed, 'r');
  const r = spawnSync('wine', ['cmd', ...switches], { stdio: [input, 'pipe', 'pipe'], env: { ...process.env, WINEDEBUG: '-all', NODE_OPTIONS: '' }, timeout: 150_000 });
  fs.closeSync(input);
  expect(r.status, String(r.stdout) + String(r.stderr)).toBe(0);
  return specs.map((_, i) => (fs.existsSync(out(i)) ? (JSON.parse(fs.readFileSync(out(i), 'utf8')) as string[]) : undefined));
}

describe('the printed schtasks line in cmd.exe', () => {
  it('reaches the program as exactly the schtasks arguments', async () => {
    const specs = CASES.map((c) => ({ ...WIN, ...c }));
    const got = await throughWineCmd([], specs);
    specs.forEach((spec, i) => expect(got[i], schtasksCommandLine(spec)).toEqual(schtasksArgs(spec)));
  });

  // Found in review: a ! was neither escaped nor flagged.
  it('with delayed expansion on (cmd /V:ON) too, unless schedule warns about a !, and a ! is why', async () => {
    const specs = CASES.map((c) => ({ ...WIN, ...c }));
    const got = await throughWineCmd(['/V:ON'], specs);
    const changed = specs.flatMap((spec, i) => (JSON.stringify(got[i]) === JSON.stringify(schtasksArgs(spec)) ? [] : [{ spec, got: got[i] }]));
    for (const c of changed) expect(cmdMayDelayExpand(c.spec), `${schtasksCommandLine(c.spec)}\ngot ${JSON.stringify(c.got)}`).toBe(true);
    // !OS! in a path becomes Windows_NT (Wine keeps a lone ! where Windows drops it).
    expect(changed.map((c) => c.spec.command[0])).toContain('C:\\R&D !OS!\\imap-backup-tool.exe');
  });
});
