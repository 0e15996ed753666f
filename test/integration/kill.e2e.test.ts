import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyArchive } from '../../src/io/archive-verify.js';
import { CLI, runCli } from '../helpers/cli.js';
import { startDovecot, type DovecotServer } from '../helpers/dovecot.js';
import { makeLargeMessage, makeMessage } from '../helpers/messages.js';
import { allFiles, writeWorkspace, type Workspace } from '../helpers/setup.js';
import { prng, setKeys, zipEntries } from '../helpers/faults.js';

// kill -9 at random points of a run, then an ordinary run: the result must equal an uninterrupted run's.
const USER = 'kill@example.org';
const PASS = 'pw-Kill-Nine-77';
const KILLS = 20;
const ROUNDS = 5;
const SEED = Number(process.env.KILL_SEED ?? Date.now() % 1_000_000);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let server: DovecotServer;

beforeAll(async () => {
  server = await startDovecot();
  await server.addUser(USER, PASS);
  const body = (i: number) => `${'lorem ipsum dolor sit amet '.repeat(200 + (i % 50) * 10)}\r\n${i}\r\n`;
  await server.seed(USER, 'INBOX', [
    ...Array.from({ length: 300 }, (_, i) => ({ raw: makeMessage({ messageId: `<k${i}@example.org>`, subject: `kill test ${i}`, body: body(i) }) })),
    // Above the streaming threshold: written by the streamed path, and a long entry to zip.
    { raw: makeLargeMessage(11 * 1024 * 1024, '<kill-large@example.org>') },
  ]);
  await server.seed(USER, 'Sent Items', Array.from({ length: 60 }, (_, i) => ({ raw: makeMessage({ subject: `sent ${i}`, body: body(i) }) })));
  await server.seed(USER, 'Archive/2023', Array.from({ length: 40 }, (_, i) => ({ raw: makeMessage({ subject: `old ${i}`, body: body(i) }) })));
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function workspace(): Workspace {
  const ws = writeWorkspace(server, [{ address: USER, password: PASS, folders: 'INBOX, SENT, Archive/2023' }], {
    common: ['retryDelaySeconds: 0'],
    storage: ['zipCompressionLevel: 0'],
  });
  setKeys(ws.configPath, { archiveToZip: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '3' });
  return ws;
}

/** Old archives for the rolling step to delete, so kills can land while it deletes them. */
function plantOldArchives(ws: Workspace): void {
  fs.mkdirSync(ws.outputFolder, { recursive: true });
  for (let d = 1; d <= 4; d++) fs.writeFileSync(path.join(ws.outputFolder, `backup-2020-01-0${d}_000000.zip`), 'old archive');
}

/** Every file of the process folder except the state (its marks may differ after a kill): path → sha. */
function messages(ws: Workspace): Map<string, string> {
  return new Map(allFiles(ws.processFolder).filter((f) => !f.startsWith('.imap-backup-tool')).map((f) => [f, sha(fs.readFileSync(path.join(ws.processFolder, f)))]));
}

/** The run's newest archive, verified entry by entry (CRCs), as name → sha of its bytes. */
async function newestArchive(ws: Workspace): Promise<Map<string, string>> {
  const zips = fs.readdirSync(ws.outputFolder).filter((n) => /^backup-\d{4}-.*\.zip$/.test(n) && !n.startsWith('backup-2020')).sort();
  for (const zip of zips) expect((await verifyArchive(path.join(ws.outputFolder, zip), { fullRead: true })).problems, zip).toEqual([]);
  const newest = zips.at(-1);
  if (!newest) throw new Error('no archive');
  return new Map([...(await zipEntries(path.join(ws.outputFolder, newest)))].map(([n, b]) => [n, sha(b)]));
}

function killAfter(ws: Workspace, delayMs: number): Promise<{ killed: boolean; phase: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, '--config', ws.configPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
  return new Promise((resolve) => child.on('close', (_code, signal) => {
    clearTimeout(timer);
    const phase = /Rolling|Summary/.test(out) ? 'rolling' : /Archive: /.test(out) ? 'zipping' : /to download/.test(out) ? 'downloading' : 'starting';
    resolve({ killed: signal === 'SIGKILL', phase, ms: Date.now() - started });
  }));
}

describe(`kill -9 at ${KILLS} random points (seed ${SEED}; rerun with KILL_SEED=${SEED})`, () => {
  it('the completing run leaves what an uninterrupted run leaves', async () => {
    const reference = workspace();
    plantOldArchives(reference);
    const started = Date.now();
    const first = await runCli(['--config', reference.configPath]);
    const fullMs = Date.now() - started;
    expect(first.code, first.stderr).toBe(0);
    const expected = messages(reference);
    expect([...expected.keys()].filter((f) => f.endsWith('.eml'))).toHaveLength(300 + 1 + 60 + 40);
    const expectedArchive = await newestArchive(reference);
    expect(expectedArchive.size).toBe(expected.size);

    const random = prng(SEED);
    const phases: Record<string, number> = {};
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const ws = workspace();
      plantOldArchives(ws);
      const points: number[] = [];
      // Each kill lands somewhere in the run's expected length; a run that finished first shows
      // how long runs now take (less is left to download), and the next delay is drawn below that.
      let estimate = fullMs;
      for (let tries = 0; kills < Math.round((KILLS * (round + 1)) / ROUNDS) && tries < 20; tries++) {
        const delay = Math.round(150 + random() * (estimate - 150));
        const r = await killAfter(ws, delay);
        points.push(r.killed ? delay : -delay);
        if (r.killed) {
          kills++;
          phases[r.phase] = (phases[r.phase] ?? 0) + 1;
        } else estimate = Math.max(300, r.ms);
      }
      const done = await runCli(['--config', ws.configPath]);
      const context = `seed ${SEED}, round ${round}, kill points (ms; negative = finished first) ${points.join(' ')}`;
      expect(done.code, `${context}\n${done.stdout}\n${done.stderr}`).toBe(0);
      expect(messages(ws), context).toEqual(expected);
      const leftovers = allFiles(ws.processFolder).filter((f) => /(^|\/)\.ibt-.*\.tmp$|\.stale$/.test(f) || f.endsWith('/lock'));
      expect(leftovers, context).toEqual([]);
      expect(await newestArchive(ws), context).toEqual(expectedArchive);
      // Rolling finished what the killed runs began: the newest three archives are left, the planted old ones go first.
      const outputs = fs.readdirSync(ws.outputFolder);
      const zips = outputs.filter((n) => n.endsWith('.zip')).sort();
      expect(zips, context).toHaveLength(3);
      const old = zips.filter((n) => n.startsWith('backup-2020'));
      expect(old, context).toEqual(['backup-2020-01-03_000000.zip', 'backup-2020-01-04_000000.zip'].slice(2 - old.length));
      const partials = outputs.filter((n) => n.endsWith('.partial'));
      console.log(`round ${round}: kills at ${points.join(' ')} ms; .partial archives left in the output folder: ${partials.length}`);
    }
    console.log(`kill -9: ${kills} kills (seed ${SEED}), phases ${JSON.stringify(phases)}, uninterrupted run ${fullMs} ms`);
    expect(kills).toBe(KILLS);
  }, 170_000);
});
