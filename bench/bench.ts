// `npm run bench`: imap-backup-tool against mbsync, OfflineIMAP and the floors, on one private
// Dovecot and one deterministic corpus, in one run. Prints a table and ratios; writes JSON.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDovecot } from '../test/helpers/dovecot.js';
import { benchMessage, folderOf, FOLDERS } from './corpus.js';
import { rawFetchAll } from './floor.js';
import { mbsyncCommand, offlineimapCommand, ourConfig, type Target } from './peers.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const MESSAGES = Number(arg('messages', '10000'));
const RUNS = Number(arg('runs', '3'));
const TOOLS = arg('tools', 'ours,binary,mbsync,offlineimap').split(',');
/** --profile <dir>: CPU profiles of our runs, for finding where the time goes. */
const PROFILE = process.argv.includes('--profile') ? arg('profile', '') : '';
const OFFLINEIMAP_RUNS = Number(arg('offlineimap-runs', '1'));

/**
 * The Node that runs `dist/cli.cjs`: by default the supported LTS the executables are built from
 * (fetched by `npm run build:bin` into .cache), so the CLI row measures what a user on a supported
 * Node gets, not whatever runs the bench (this machine's Node 20 is past its end of life).
 * `--cli-node current` uses the bench's own Node; `--cli-node <path>` any other.
 */
function cliNode(): string {
  const chosen = arg('cli-node', '');
  if (chosen === 'current') return process.execPath;
  if (chosen) return path.resolve(chosen);
  const pins = JSON.parse(fs.readFileSync('build/node-binaries.json', 'utf8')) as { version: string; targets: Record<string, { package: string; binary: string }> };
  // The bench runs on Linux (Dovecot, mbsync); the executables' Node is pinned for x64 there.
  const pin = process.platform === 'linux' && process.arch === 'x64' ? pins.targets['linux-x64'] : undefined;
  const pinned = pin ? path.resolve('.cache', 'node-bin', `${pin.package}-${pins.version}`, path.basename(pin.binary)) : '';
  if (pinned && fs.existsSync(pinned)) return pinned;
  console.log(`CLI: the pinned Node ${pins.version} is not in .cache (npm run build:bin fetches it); running on ${process.version}`);
  return process.execPath;
}
const CLI_NODE = cliNode();

interface Sample { wall: number; rssMb: number }
const results: Record<string, Record<string, Sample[]>> = {};
const record = (tool: string, scenario: string, s: Sample) => ((results[tool] ??= {})[scenario] ??= []).push(s);

function timed(cmd: string[], cwd: string): Sample {
  const out = path.join(os.tmpdir(), `bench-time-${process.pid}`);
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', out, ...cmd], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-800)}`);
  const rssKb = Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
  return { wall, rssMb: rssKb / 1024 };
}

function countFiles(dir: string, pred: (f: string) => boolean): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (pred(path.join(d, e.name))) n++;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return n;
}

/**
 * Folders of finished runs are kept until the end. Deleting 100,000 files and creating 100,000 more
 * within a minute makes ext4 step over each just-freed inode while allocating new ones
 * (fs/ext4/ialloc.c, recently_deleted(): freed less than 60 s ago, 360 s while its inode table
 * block is not yet written back). perf showed that as 22% of the machine's CPU during a full backup
 * started right after the previous tool's folder was deleted: it slowed whichever tool came next
 * (measured at 100,000 messages: 79 s, 57 s of it system time, against 61 s in a fresh folder).
 * An admin's first backup goes to a folder nothing was just deleted from; so do the bench's.
 */
const kept: string[] = [];
async function roomFor(bytes: number, work: string): Promise<void> {
  const free = () => { const s = fs.statfsSync(work); return s.bavail * s.bsize; };
  if (free() > bytes || kept.length === 0) return;
  for (const dir of kept.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  console.log(`disk: removed the folders of earlier runs to make room; waiting 6 minutes until ext4 no longer steps over their freed inodes`);
  await new Promise((r) => setTimeout(r, 370_000));
}

const server = await startDovecot();
const user = 'bench@example.org';
const password = 'bench-password';
// Kept run folders can add up to tens of GB at 100,000 messages: removed however the bench ends.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ibt-bench-'));
try {
  await server.addUser(user, password);
  const seedStart = Date.now();
  let bytes = 0;
  for (const f of FOLDERS) {
    const ids = Array.from({ length: MESSAGES }, (_, i) => i).filter((i) => folderOf(i, MESSAGES) === f.name);
    for (let k = 0; k < ids.length; k += 2000) {
      const batch = ids.slice(k, k + 2000).map((i) => benchMessage(i));
      bytes += batch.reduce((n, b) => n + b.length, 0);
      await server.seed(user, f.name, batch.map((raw) => ({ raw })));
    }
  }
  console.log(`corpus: ${MESSAGES} messages, ${(bytes / 1e6).toFixed(0)} MB in ${FOLDERS.length} folders (seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s)`);
  const caFile = path.join(work, 'ca.pem');
  fs.writeFileSync(caFile, server.certPem);
  const target: Target = { host: server.host, port: server.imapsPort, user, password, caFile };
  const folderList = FOLDERS.map((f) => f.name).join(', ');
  const built = path.resolve('dist/bin/imap-backup-tool-linux-x64');
  // Run as installed: a copy, the way unzip or cp puts it on a server. The file sea.mjs writes in
  // one call sits in the page cache in large pieces the kernel maps whole: the same binary then
  // shows 16-19 MB more file-backed RSS (zip stage at 10k: 152-159 MB as built, 134-141 MB copied
  // or read back from disk after dropping its cache), which no installed copy has.
  const binary = path.join(work, 'imap-backup-tool-linux-x64');
  if (fs.existsSync(built)) execFileSync('cp', [built, binary]);
  // The CLI's Node likewise: `npm run build:bin` writes the pinned one in one piece too, and runs
  // with that file measured 9-19 MB higher in every scenario (10k no-op: 91 against 82 MB, copied).
  const cliNodeCopy = path.join(work, 'node');
  execFileSync('cp', [CLI_NODE, cliNodeCopy]);
  /** Our two builds, without their --config. */
  const ourCommand: Record<string, string[]> = {
    ours: [cliNodeCopy, ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : []), path.resolve('dist/cli.cjs')],
    binary: [binary],
  };
  const program: Record<string, string> = { ours: cliNodeCopy, binary, mbsync: 'mbsync', offlineimap: 'offlineimap' };
  const commands: Record<string, (dir: string) => string[]> = {
    ours: (dir) => [...(ourCommand['ours'] as string[]), '--config', ourConfig(server, target, dir, folderList)],
    binary: (dir) => [...(ourCommand['binary'] as string[]), '--config', ourConfig(server, target, dir, folderList)],
    mbsync: (dir) => mbsyncCommand(target, dir),
    offlineimap: (dir) => offlineimapCommand(target, dir),
  };
  const fileCount: Record<string, (dir: string) => number> = {
    ours: (dir) => countFiles(path.join(dir, 'backup'), (f) => f.endsWith('.eml')),
    binary: (dir) => countFiles(path.join(dir, 'backup'), (f) => f.endsWith('.eml')),
    mbsync: (dir) => countFiles(path.join(dir, 'mail'), (f) => /\/(cur|new)\//.test(f)),
    offlineimap: (dir) => countFiles(path.join(dir, 'mail'), (f) => /\/(cur|new)\//.test(f)),
  };
  let extra = 0;
  const tools = TOOLS.filter((tool) => {
    if (tool === 'binary' && !fs.existsSync(built)) return void console.log('binary: dist/bin/imap-backup-tool-linux-x64 not built; skipped (npm run build:bin)');
    const bin = program[tool];
    if (!bin || spawnSync('sh', ['-c', `command -v "${bin}"`]).status !== 0) return void console.log(`${tool}: not installed; skipped`);
    return true;
  });
  // Round by round, every tool in turn, each round starting one tool later, and the disk flushed
  // before each: what the disk went through (files deleted before the bench, the writeback of the
  // tool before) falls on every tool alike.
  for (let run = 0; run < Math.max(RUNS, OFFLINEIMAP_RUNS); run++) {
    for (let j = 0; j < tools.length; j++) {
      const tool = tools[(j + run) % tools.length] as string;
      const runs = tool === 'offlineimap' ? OFFLINEIMAP_RUNS : RUNS;
      if (run >= runs) continue;
      // The messages, and the archive of the zip stage beside them.
      await roomFor(2.2 * bytes + 1e9, work);
      const dir = fs.mkdtempSync(path.join(work, `${tool}-`));
      const cmd = (commands[tool] as (d: string) => string[])(dir);
      execFileSync('sync');
      record(tool, 'full', timed(cmd, dir));
      const got = fileCount[tool]?.(dir) ?? 0;
      if (got !== MESSAGES) throw new Error(`${tool} saved ${got} of ${MESSAGES} messages`);
      record(tool, 'noop', timed(cmd, dir));
      const before = Number((await server.status(user, 'INBOX'))['uidnext']);
      for (let i = 0; i < 100; i++) await server.append(user, 'INBOX', benchMessage(MESSAGES + extra + i, `n${extra}`));
      record(tool, 'plus100', timed(cmd, dir));
      const gotPlus = fileCount[tool]?.(dir) ?? 0;
      if (gotPlus !== MESSAGES + 100) throw new Error(`${tool} has ${gotPlus} of ${MESSAGES + 100} after +100`);
      await server.expunge(user, 'INBOX', Array.from({ length: 100 }, (_, i) => before + i));
      extra += 100;
      const ours = ourCommand[tool];
      if (ours) zipStage(tool, ours, ourConfig(server, target, dir, folderList, true), dir);
      kept.push(dir);
      process.stdout.write(`${tool} run ${run + 1}/${runs} done\n`);
    }
  }
  for (let run = 0; run < RUNS; run++) {
    let t = process.hrtime.bigint();
    await rawFetchAll(target, FOLDERS.map((f) => f.name), server.certPem);
    record('floor', 'full', { wall: Number(process.hrtime.bigint() - t) / 1e9, rssMb: 0 });
    await roomFor(1.2 * bytes + 1e9, work);
    const copy = path.join(work, `cp-${run}`);
    t = process.hrtime.bigint();
    execFileSync('cp', ['-r', path.join(server.dir, 'mail', user), copy]);
    record('cp -r Maildir', 'full', { wall: Number(process.hrtime.bigint() - t) / 1e9, rssMb: 0 });
    kept.push(copy);
  }
  report(bytes);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
  await server.stop();
}

/**
 * The zip stage alone, on the process folder a full run left: a run with nothing new to download
 * and archiveToZip on (write, flush, verify every entry, rename) against `zip -r -6` of the same files.
 */
function zipStage(tool: string, cmd: string[], config: string, dir: string): void {
  record(tool, 'zip', timed([...cmd, '--config', config], dir));
  const zips = fs.readdirSync(path.join(dir, 'backup', 'output')).filter((f) => f.endsWith('.zip'));
  if (zips.length !== 1) throw new Error(`${tool}: zip stage left ${zips.length} archives`);
  fs.rmSync(path.join(dir, 'backup', 'output'), { recursive: true, force: true });
  if (tool !== 'ours') return;
  const zipped = path.join(dir, 'peer.zip');
  record('zip -r -6', 'zip', timed(['zip', '-r', '-6', '-q', zipped, '.'], path.join(dir, 'backup', 'process')));
  fs.rmSync(zipped, { force: true });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function report(bytes: number): void {
  const scen = ['full', 'noop', 'plus100', 'zip'];
  const lines = ['| tool | full backup | no-op run | +100 messages | zip stage | peak RSS |', '|---|---|---|---|---|---|'];
  const med = (tool: string, s: string) => median((results[tool]?.[s] ?? []).map((x) => x.wall));
  for (const [tool, byScen] of Object.entries(results)) {
    const cells = scen.map((s) => {
      const xs = (byScen[s] ?? []).map((x) => x.wall);
      return xs.length ? `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : '';
    });
    const rss = Math.max(0, ...Object.values(byScen).flat().map((x) => x.rssMb));
    lines.push(`| ${tool} | ${cells.join(' | ')} | ${rss ? `${rss.toFixed(0)} MB` : ''} |`);
  }
  lines.push('', '| peak RSS | full backup | no-op run | +100 messages | zip stage |', '|---|---|---|---|---|');
  for (const [tool, byScen] of Object.entries(results)) {
    if (!Object.values(byScen).flat().some((x) => x.rssMb)) continue;
    lines.push(`| ${tool} | ${scen.map((s) => (byScen[s]?.length ? `${Math.max(...(byScen[s] ?? []).map((x) => x.rssMb)).toFixed(0)} MB` : '')).join(' | ')} |`);
  }
  const ratios: string[] = [];
  for (const ours of ['ours', 'binary']) {
    if (!results[ours]) continue;
    for (const s of scen) if (results['mbsync']?.[s]) ratios.push(`${ours}/mbsync ${s}: ${(med(ours, s) / med('mbsync', s)).toFixed(2)}x`);
    if (results['floor']) ratios.push(`${ours}/raw-fetch-floor full: ${(med(ours, 'full') / med('floor', 'full')).toFixed(2)}x`);
    if (results[ours]?.['zip'] && results['zip -r -6']) ratios.push(`zip stage speed ours/zip -r -6: ${(med('zip -r -6', 'zip') / med(ours, 'zip')).toFixed(2)}x (higher is faster)`);
  }
  const text = `${lines.join('\n')}\n\n${ratios.join('\n')}\n`;
  const cliVersion = spawnSync(CLI_NODE, ['--version']).stdout?.toString().trim() ?? '?';
  console.log(`\n${MESSAGES} messages, ${(bytes / 1e6).toFixed(0)} MB, ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}, median of ${RUNS} runs (min–max); ours = node ${cliVersion} dist/cli.cjs\n\n${text}`);
  fs.mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  fs.writeFileSync(file, JSON.stringify({ messages: MESSAGES, bytes, runs: RUNS, cliNode: cliVersion, machine: { cores: os.cpus().length, model: os.cpus()[0]?.model }, results }, null, 1));
  console.log(`written: ${file}`);
}
