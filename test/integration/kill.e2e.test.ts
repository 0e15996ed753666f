import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveFileName } from '../../src/core/retention.js';
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
    // Stored, not deflated: the same zipping and verifying steps, in a third of the time, for more kills per minute.
    storage: ['zipCompressionLevel: 0'],
  });
  setKeys(ws.configPath, { archiveToZip: 'True', rollingMethod: "'ITEMS'", deleteBackupsItemsToKeep: '3' });
  return ws;
}

/** Old archives for the rolling step to delete (many, so a kill can land while it deletes them). */
const PLANTED = Array.from({ length: 150 }, (_, i) => archiveFileName(new Date(2020, 0, 1, i)));
function plantOldArchives(ws: Workspace): void {
  fs.mkdirSync(ws.outputFolder, { recursive: true });
  for (const name of PLANTED) fs.writeFileSync(path.join(ws.outputFolder, name), 'old archive');
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

type Phase = 'starting' | 'downloading' | 'zipping' | 'rolling';
/** The console line that shows a run has entered the phase. */
const ENTERS: [Phase, RegExp][] = [['downloading', /to download/], ['zipping', /Archive: \d+ files/], ['rolling', /Rolling .*: deleting/]];

interface Outcome {
  killed: boolean;
  /** The last phase the run was seen in when it was killed. */
  phase: Phase;
  ms: number;
  /** When each phase was first seen, ms after the start. */
  marks: Partial<Record<Phase, number>>;
}

/**
 * Runs the CLI (--verbose: a line per message saved) and, with a plan, kills it -9 `afterMs` after
 * it is seen entering `phase`, or while downloading, once it has saved `afterSaved` messages.
 */
function runAndKill(ws: Workspace, plan?: { phase: Phase; afterMs: number; afterSaved?: number }): Promise<Outcome> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, '--config', ws.configPath, '--verbose'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
  let saved = 0;
  const marks: Partial<Record<Phase, number>> = { starting: 0 };
  let phase: Phase = 'starting';
  let timer: NodeJS.Timeout | undefined;
  const arm = (p: Phase) => {
    if (plan?.phase === p && plan.afterSaved === undefined && !timer) timer = setTimeout(() => child.kill('SIGKILL'), plan.afterMs);
  };
  const watch = (d: Buffer) => {
    saved += d.toString().match(/ saved [0-9a-f]{32}__/g)?.length ?? 0;
    if (plan?.afterSaved !== undefined && saved >= plan.afterSaved && !child.killed) child.kill('SIGKILL');
    for (const [p, re] of ENTERS) {
      if (marks[p] === undefined && re.test(d.toString())) {
        marks[p] = Date.now() - started;
        phase = p;
        arm(p);
      }
    }
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  arm('starting');
  return new Promise((resolve) => child.on('close', (_code, signal) => {
    clearTimeout(timer);
    resolve({ killed: signal === 'SIGKILL', phase, ms: Date.now() - started, marks });
  }));
}

describe(`kill -9 at ${KILLS} random points (seed ${SEED}; rerun with KILL_SEED=${SEED})`, () => {
  it('the completing run leaves what an uninterrupted run leaves', async () => {
    const reference = workspace();
    plantOldArchives(reference);
    const full = await runAndKill(reference);
    expect(full.killed).toBe(false);
    const expected = messages(reference);
    expect([...expected.keys()].filter((f) => f.endsWith('.eml'))).toHaveLength(300 + 1 + 60 + 40);
    const expectedArchive = await newestArchive(reference);
    expect(expectedArchive.size).toBe(expected.size);
    // How long each phase lasted without a kill: the window a random kill point is drawn from.
    const m = full.marks as Record<Phase, number>;
    const windows: Record<Phase, number> = { starting: m.downloading, downloading: m.zipping - m.downloading, zipping: m.rolling - m.zipping, rolling: 15 };

    const random = prng(SEED);
    const phases: Record<string, number> = {};
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const ws = workspace();
      plantOldArchives(ws);
      const points: string[] = [];
      // Mostly while downloading; some while starting, zipping and rolling. In run order: once a
      // run has downloaded everything, no later run of the round downloads again.
      const order: Phase[] = ['starting', 'downloading', 'zipping', 'rolling'];
      const planned = Array.from({ length: KILLS / ROUNDS }, () => {
        const r = random();
        return r < 0.1 ? 'starting' : r < 0.65 ? 'downloading' : r < 0.9 ? 'zipping' : 'rolling';
      }).sort((a, b) => order.indexOf(a) - order.indexOf(b));
      for (let tries = 0; kills < Math.round((KILLS * (round + 1)) / ROUNDS) && tries < 20; tries++) {
        const remaining = expected.size - messages(ws).size;
        let phase: Phase = planned[tries] ?? 'zipping';
        if (phase === 'downloading' && remaining === 0) phase = 'zipping';
        const afterMs = Math.round(random() * windows[phase]);
        const afterSaved = phase === 'downloading' ? 1 + Math.floor(random() * remaining) : undefined;
        const out = await runAndKill(ws, { phase, afterMs, afterSaved });
        const left = out.phase === 'rolling' ? ` (${fs.readdirSync(ws.outputFolder).filter((n) => n.startsWith('backup-2020')).length} old left)` : '';
        points.push(`${phase}+${afterSaved !== undefined ? `${afterSaved} saved` : `${afterMs}ms`}${out.killed ? `→${out.phase}${left}` : '(finished first)'}`);
        if (out.killed) {
          kills++;
          phases[out.phase] = (phases[out.phase] ?? 0) + 1;
        }
      }
      const done = await runCli(['--config', ws.configPath]);
      const context = `seed ${SEED}, round ${round}, kills (planned phase+ms→phase seen) ${points.join(' ')}`;
      expect(done.code, `${context}\n${done.stdout}\n${done.stderr}`).toBe(0);
      expect(messages(ws), context).toEqual(expected);
      const leftovers = allFiles(ws.processFolder).filter((f) => /(^|\/)\.ibt-.*\.tmp$|\.stale$/.test(f) || f.endsWith('/lock'));
      expect(leftovers, context).toEqual([]);
      expect(await newestArchive(ws), context).toEqual(expectedArchive);
      // Rolling finished what the killed runs began: the newest three archives are left.
      const outputs = fs.readdirSync(ws.outputFolder);
      const zips = outputs.filter((n) => n.endsWith('.zip')).sort();
      expect(zips, context).toHaveLength(3);
      const old = zips.filter((n) => n.startsWith('backup-2020'));
      expect(old, context).toEqual(PLANTED.slice(PLANTED.length - old.length));
      // The completing run deletes the .partial archives the killed runs left.
      expect(outputs.filter((n) => n.endsWith('.partial')), context).toEqual([]);
      console.log(`round ${round}: ${points.join(' ')}`);
    }
    console.log(`kill -9: ${kills} kills (seed ${SEED}), by phase ${JSON.stringify(phases)}; uninterrupted run ${full.ms} ms, phases at ${JSON.stringify(full.marks)}`);
    expect(kills).toBe(KILLS);
  }, 170_000);
});
